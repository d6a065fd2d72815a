#include "server/directory_handlers.h"

#include <asio/post.hpp>

#include "common/username.h"
#include "protocol/frame_codec.h"
#include "server/await_bus.h"
#include "server/loop_shard.h"
#include "server/session.h"

namespace fastchat::server {

namespace {
constexpr std::size_t kDefaultListLimit = 50;
constexpr std::size_t kMaxListLimit = 500;
constexpr int kMaxIdentitiesPerRequest = 256;
constexpr int kMaxWatched = 1000;
}  // namespace

asio::awaitable<Result<UserId>> resolve_user(ServerContext& context, std::string_view username) {
  auto name = normalize_username(username);
  if (!name) co_return Status(Code::kInvalidUsername, "not a valid username");
  if (auto known = find_known_user(context, *name)) co_return *known;
  auto find = [n = *name](store::Store& s) { return s.find_user(n); };
  auto user = co_await context.worker.run(std::move(find));
  if (!user) co_return user.status();
  context.directory.remember(user->id, user->username);
  if (auto* loop = LoopShard::current()) loop->directory().remember(user->id, user->username);
  co_return user->id;
}

std::optional<UserId> find_known_user(ServerContext& context, std::string_view username) {
  LoopShard* loop = LoopShard::current();
  if (loop != nullptr) {
    if (auto cached = loop->directory().find(username)) return cached;
  }
  auto known = context.directory.find(username);  // the server-wide map, under its lock
  if (known && loop != nullptr) loop->directory().remember(*known, username);
  return known;
}

asio::awaitable<void> handle_list_users(std::shared_ptr<Session> session, std::uint64_t request_id,
                                        wire::ListUsers request) {
  auto& ctx = session->context();
  std::string pattern = request.pattern();
  for (char& c : pattern) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  std::size_t limit = request.limit() == 0 ? kDefaultListLimit : request.limit();
  limit = std::min(limit, kMaxListLimit);
  std::string after = request.after();
  for (char& c : after) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  auto query = [pattern, limit, after](store::Store& s) {
    return s.list_users(pattern, limit, after);
  };
  auto users = co_await ctx.worker.run(std::move(query));
  if (!users) {
    session->send_error(request_id, users.status());
    co_return;
  }
  std::vector<UserId> ids;
  ids.reserve(users->size());
  for (const auto& u : *users)
    ids.push_back(u.id);
  auto online = co_await query_online(ctx.bus, std::move(ids));
  wire::Frame reply;
  reply.set_request_id(request_id);
  auto* list = reply.mutable_user_list();
  for (std::size_t i = 0; i < users->size(); ++i) {
    auto* entry = list->add_users();
    entry->set_username((*users)[i].username);
    entry->set_online(i < online.size() && online[i]);
  }
  list->set_has_more(users->size() == limit);  // 500 names of 32 bytes: far below a frame
  session->send(reply);
}

asio::awaitable<void> handle_get_identities(std::shared_ptr<Session> session,
                                            std::uint64_t request_id, wire::GetIdentities request) {
  auto& ctx = session->context();
  if (request.usernames_size() > kMaxIdentitiesPerRequest) {
    session->send_error(request_id, Status(Code::kBadRequest, "too many usernames"));
    co_return;
  }
  std::vector<std::string> names(request.usernames().begin(), request.usernames().end());
  auto find = [names](store::Store& s) -> Result<std::vector<store::UserRecord>> {
    std::vector<store::UserRecord> out;
    for (const auto& raw : names) {
      auto name = normalize_username(raw);
      if (!name) return Status(Code::kInvalidUsername, "not a valid username: " + raw);
      auto user = s.find_user(*name);
      if (!user) {
        if (user.code() == Code::kUnknownUser) {
          return Status(Code::kUnknownUser, "no such user: " + *name);
        }
        return user.status();
      }
      out.push_back(std::move(*user));
    }
    return out;
  };
  auto found = co_await ctx.worker.run(std::move(find));
  if (!found) {
    session->send_error(request_id, found.status());
    co_return;
  }
  wire::Frame reply;
  reply.set_request_id(request_id);
  auto* identities = reply.mutable_identities();
  for (const auto& user : *found) {
    ctx.directory.remember(user.id, user.username);
    auto* entry = identities->add_identities();
    entry->set_username(user.username);
    auto* id = entry->mutable_identity();
    id->set_sign_public_key(user.identity.sign_public_key);
    id->set_box_public_key(user.identity.box_public_key);
    id->set_signature(user.identity.signature);
  }
  session->send(reply);
}

asio::awaitable<void> handle_watch_presence(std::shared_ptr<Session> session,
                                            std::uint64_t request_id, wire::WatchPresence request) {
  auto& ctx = session->context();
  if (request.usernames_size() > kMaxWatched) {
    session->send_error(request_id, Status(Code::kBadRequest, "too many users to watch"));
    co_return;
  }
  std::vector<UserId> ids;
  std::vector<std::string> names;
  for (const auto& raw : request.usernames()) {
    auto id = co_await resolve_user(ctx, raw);
    if (!id) {
      if (id.code() == Code::kUnavailable) {
        session->send_error(request_id, id.status());
        co_return;
      }
      continue;  // unknown users are simply not watched
    }
    ids.push_back(*id);
    names.push_back(*normalize_username(raw));
  }
  if (session->closed()) co_return;
  LoopSessions& watchers = session->loop().watchers();  // this loop's own: no lock
  for (UserId user : session->watched())
    watchers.remove(user, session.get());
  for (UserId user : ids)
    watchers.add(user, session);
  session->watched() = ids;
  auto online = co_await query_online(ctx.bus, ids);
  wire::Frame reply;
  reply.set_request_id(request_id);
  auto* list = reply.mutable_presence_list();
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto* p = list->add_presence();
    p->set_username(names[i]);
    p->set_online(i < online.size() && online[i]);
  }
  session->send(reply);
}

void notify_presence(std::span<const std::unique_ptr<LoopShard>> loops, UserId user,
                     const std::string& username, bool online) {
  wire::Frame push;
  auto* presence = push.mutable_presence();
  presence->set_username(username);
  presence->set_online(online);
  auto frame = std::make_shared<const std::string>(protocol::encode_frame(push));
  for (const auto& loop : loops) {
    asio::post(loop->executor(), [frame, user, &shard = *loop] {
      std::vector<std::shared_ptr<Session>> to_flush;
      shard.watchers().for_each(user, [&](const std::shared_ptr<Session>& watcher) {
        bool needs_flush = false;
        watcher->take_queued({}, frame.get(), false, 0, false, needs_flush);
        if (needs_flush) to_flush.push_back(watcher);
      });
      for (const auto& watcher : to_flush)
        watcher->flush_queued();
    });
  }
}

}  // namespace fastchat::server
