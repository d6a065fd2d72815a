#include "server/session_handlers.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "server/session.h"

namespace fastchat::server {

namespace {

// Device names are at most 64 bytes: 500 sessions stay far below a frame.
constexpr std::size_t kMaxListedSessions = 500;

// The ids of `user`'s sessions with a connection on this server.
std::vector<std::uint32_t> connected_here(SessionRegistry& registry, UserId user) {
  std::vector<std::uint32_t> ids;
  registry.for_each_session(user, [&](const std::shared_ptr<Session>& s) {
    if (!s->closed()) ids.push_back(s->session_id());
  });
  return ids;
}

void reply_revoked(Session& session, std::uint64_t request_id, std::size_t count) {
  wire::Frame reply;
  reply.set_request_id(request_id);
  reply.mutable_sessions_revoked()->set_revoked(static_cast<std::uint32_t>(count));
  session.send(reply);
}

}  // namespace

asio::awaitable<void> handle_list_sessions(std::shared_ptr<Session> session,
                                           std::uint64_t request_id) {
  auto& ctx = session->context();
  const std::int64_t now = ctx.clock.now_ms();
  auto list = [user = session->user_id(), now](store::Store& s) {
    return s.list_sessions(user, now, kMaxListedSessions + 1);
  };
  auto sessions = co_await ctx.worker.run(std::move(list));
  if (!sessions) {
    session->send_error(request_id, sessions.status());
    co_return;
  }
  const auto connected = connected_here(ctx.registry, session->user_id());
  const std::int64_t idle_ms = ctx.config.session_idle_timeout_s * 1000;
  wire::Frame reply;
  reply.set_request_id(request_id);
  auto* out = reply.mutable_session_list();
  for (const auto& record : *sessions) {
    if (out->sessions_size() == static_cast<int>(kMaxListedSessions)) {
      out->set_has_more(true);
      break;
    }
    if (now - record.last_used_ms >= idle_ms) continue;  // expired under this server's timeout
    auto* info = out->add_sessions();
    info->set_session_id(record.session_id);
    info->set_device_id(record.device_id);
    info->set_device_name(record.device_name);
    info->set_created_ms(static_cast<std::uint64_t>(record.created_ms));
    info->set_last_used_ms(static_cast<std::uint64_t>(record.last_used_ms));
    info->set_current(record.session_id == session->session_id());
    info->set_connected(std::find(connected.begin(), connected.end(), record.session_id) !=
                        connected.end());
  }
  session->send(reply);
}

asio::awaitable<void> handle_revoke_session(std::shared_ptr<Session> session,
                                            std::uint64_t request_id, wire::RevokeSession request) {
  auto& ctx = session->context();
  const UserId user = session->user_id();
  const std::uint32_t current = session->session_id();
  if (request.all_others()) {
    auto revoke = [user, keep = session->token_hash()](store::Store& s) {
      return s.revoke_sessions_except(user, keep);
    };
    auto revoked = co_await ctx.worker.run(std::move(revoke));
    if (!revoked) {
      session->send_error(request_id, revoked.status());
      co_return;
    }
    ctx.bus.publish_revocation({user, current, /*all_but=*/true});
    spdlog::info("user '{}' revoked {} other sessions", session->username(), *revoked);
    reply_revoked(*session, request_id, *revoked);
    co_return;
  }
  if (request.session_id() == 0 || request.session_id() == current) {
    session->send_error(request_id,
                        Status(Code::kBadRequest, request.session_id() == 0
                                                      ? "name a session_id, or all_others"
                                                      : "that is this session: log out instead"));
    co_return;
  }
  auto revoke = [user, id = request.session_id()](store::Store& s) {
    return s.revoke_session(user, id);
  };
  auto revoked = co_await ctx.worker.run(std::move(revoke));
  if (!revoked) {
    session->send_error(request_id, revoked.status());
    co_return;
  }
  if (*revoked > 0) {
    ctx.bus.publish_revocation({user, request.session_id(), /*all_but=*/false});
    spdlog::info("user '{}' revoked session {}", session->username(), request.session_id());
  }
  reply_revoked(*session, request_id, *revoked);
}

void close_revoked(SessionRegistry& registry, const cluster::SessionRevocation& revocation) {
  std::vector<std::shared_ptr<Session>> doomed;
  registry.for_each_session(revocation.user, [&](const std::shared_ptr<Session>& s) {
    const bool named = s->session_id() == revocation.session_id;
    if (named != revocation.all_but) doomed.push_back(s);
  });
  for (auto& s : doomed)
    s->close();
}

}  // namespace fastchat::server
