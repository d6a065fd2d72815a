// Client::Impl, signed group membership (docs/e2ee-v2.md, "Group membership"): every
// change is a record this client signs, and every member list it uses is the one the
// group's chain proves, replayed from the creation (or the head it verified before)
// with each signer's pinned key. Also blocks.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "client/client_impl.h"
#include "common/clock.h"
#include "common/username.h"

namespace fastchat::client {

namespace {

constexpr int kMaxPages = 1'000;

Status unverified(GroupId group, const std::string& what) {
  return Status(Code::kMembershipUnverified, "group " + std::to_string(group) + ": " + what);
}

MembershipEvent to_event(const crypto::MembershipRecord& r) {
  MembershipEvent e;
  e.group_id = r.group_id;
  e.seq = r.seq;
  e.actor = r.actor;
  e.subject = r.subject;
  e.at_ms = r.created_ms;
  switch (r.action) {
    case crypto::MembershipAction::kCreate:
      e.kind = MembershipEvent::Kind::kCreated;
      break;
    case crypto::MembershipAction::kAdd:
      e.kind = MembershipEvent::Kind::kAdded;
      break;
    case crypto::MembershipAction::kRemove:
      e.kind = MembershipEvent::Kind::kRemoved;
      break;
    case crypto::MembershipAction::kLeave:
      e.kind = MembershipEvent::Kind::kLeft;
      break;
  }
  return e;
}

std::vector<GroupMemberInfo> sorted_members(const crypto::MemberList& members) {
  std::vector<GroupMemberInfo> out;
  out.reserve(members.size());
  for (const auto& m : members)
    out.push_back({m.username, m.admin});
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.username < b.username; });
  return out;
}

// What the server's list says that the proven one does not; nullopt when they agree.
// Both sorted by name and compared in one pass (groups of thousands, at every send).
std::optional<std::string> difference(const std::vector<GroupMemberInfo>& listed,
                                      const crypto::MemberList& proven) {
  std::vector<GroupMemberInfo> server = listed;
  std::sort(server.begin(), server.end(),
            [](const auto& a, const auto& b) { return a.username < b.username; });
  const auto chain = sorted_members(proven);
  auto s = server.begin();
  auto c = chain.begin();
  while (s != server.end() || c != chain.end()) {
    if (c == chain.end() || (s != server.end() && s->username < c->username)) {
      return "the server lists " + s->username +
             " as a member, but no signed change added them (a member the server made up, "
             "a dropped removal or an old member list)";
    }
    if (s == server.end() || c->username < s->username) {
      return "the server does not list " + c->username +
             ", a member by the signed membership (a change the server withholds?)";
    }
    if (s->admin != c->admin) {
      return "the server's list makes " + s->username + (s->admin ? " an admin" : " no admin") +
             ", the signed membership does not";
    }
    ++s;
    ++c;
  }
  return std::nullopt;
}

}  // namespace

asio::awaitable<Result<crypto::MembershipChain>> Client::Impl::fetch_chain(GroupId group) {
  if (!history_ || !identity_) co_return Status(Code::kNotAuthenticated, "not logged in");
  crypto::MembershipChain chain =
      history_->group_head(group).value_or(crypto::MembershipChain(group, 0, {}, {}));
  std::vector<MembershipEvent> events;
  for (int pages = 0;; ++pages) {
    if (pages == kMaxPages) co_return unverified(group, "the server keeps sending records");
    wire::Frame frame;
    frame.mutable_get_membership()->set_group_id(group);
    frame.mutable_get_membership()->set_after_seq(chain.seq());
    auto reply = co_await call(std::move(frame));
    if (!reply) co_return reply.status();
    if (!reply->has_membership_page())
      co_return Status(Code::kBadRequest, "expected MembershipPage");
    const auto& page = reply->membership_page();
    std::vector<crypto::MembershipRecord> records;
    std::vector<std::string> actors;
    for (const auto& bytes : page.records()) {
      auto record = crypto::decode_record(bytes);
      if (!record) co_return unverified(group, "the server sent a malformed membership record");
      if (record->actor != username_ &&
          std::find(actors.begin(), actors.end(), record->actor) == actors.end()) {
        actors.push_back(record->actor);
      }
      records.push_back(std::move(*record));
    }
    if (!actors.empty()) {
      auto conn = conn_;
      if (!conn || !contacts_) co_return Status(Code::kUnavailable, "not connected");
      if (Status s = co_await contacts_->ensure(*conn, actors); !s) co_return s;
      if (!contacts_ || !history_)
        co_return Status(Code::kNotAuthenticated, "logged out meanwhile");
    }
    for (const auto& record : records) {
      std::string key;  // the signer's pinned identity key (our own for our records)
      if (record.actor == username_) {
        key = identity_->sign_public_key();
      } else if (const Contact* c = contacts_->find(record.actor)) {
        key = c->identity.sign_public_key;
      }
      if (Status s = chain.append(record, key); !s) co_return s;
      events.push_back(to_event(record));
    }
    if (!page.has_more() || page.records_size() == 0) break;
  }
  if (!events.empty()) {
    if (Status s = history_->save_group_head(chain, events); !s) co_return s;
    if (events_.on_membership) {
      for (const auto& e : events)
        events_.on_membership(e);
    }
  }
  checked_groups_.insert(group);
  co_return chain;
}

asio::awaitable<Result<Client::Impl::VerifiedGroup>> Client::Impl::verified_group(GroupId group) {
  if (username_.empty()) co_return Status(Code::kNotAuthenticated, "not logged in");
  if (group == 0) co_return Status(Code::kUnknownGroup, "group 0 does not exist");
  for (int attempt = 0;; ++attempt) {
    wire::Frame get;
    get.mutable_get_group()->set_group_id(group);
    auto listed = co_await group_call(std::move(get));
    if (!listed) co_return listed.status();
    auto chain = co_await fetch_chain(group);
    if (!chain) co_return chain.status();
    if (chain->seq() == 0) {
      // A group from before signed membership: an admin signs the list as it is, once.
      const bool admin =
          std::any_of(listed->members.begin(), listed->members.end(),
                      [this](const auto& m) { return m.username == username_ && m.admin; });
      if (!admin || attempt > 0) {
        co_return unverified(group,
                             "the group has no signed membership yet; an admin's client signs it "
                             "the next time it shows the group or sends to it");
      }
      crypto::MemberList initial;
      for (const auto& m : listed->members)
        initial.push_back({m.username, m.admin});
      auto record = chain->next(username_, crypto::MembershipAction::kCreate, {}, initial,
                                SystemClock::instance().now_ms());
      if (!record) co_return record.status();
      crypto::sign_record(*record, *identity_);
      wire::Frame frame;
      frame.mutable_change_membership()->set_record(crypto::encode_record(*record));
      auto reply = co_await call(std::move(frame));
      if (!reply && reply.code() != Code::kMembershipChanged) co_return reply.status();
      spdlog::info("group {}: signed its current membership ({} members)", group, initial.size());
      continue;
    }
    if (auto diff = difference(listed->members, chain->members())) {
      if (attempt == 0) continue;  // a change may have come between the two requests
      co_return unverified(group, *diff);
    }
    VerifiedGroup out{
        GroupInfo{group, listed->name, sorted_members(chain->members()), chain->seq()},
        std::move(*chain)};
    co_return out;
  }
}

asio::awaitable<Result<GroupInfo>> Client::Impl::create_group(std::string name,
                                                              std::vector<std::string> members) {
  if (username_.empty() || !identity_) co_return Status(Code::kNotAuthenticated, "not logged in");
  crypto::MemberList initial{{username_, true}};
  wire::Frame frame;
  auto* request = frame.mutable_create_group();
  request->set_name(name);
  for (const auto& member : members) {
    auto canonical = normalize_username(member);
    if (!canonical) co_return Status(Code::kInvalidUsername, "not a valid username: " + member);
    request->add_members(*canonical);
    const bool listed = std::any_of(initial.begin(), initial.end(),
                                    [&](const auto& m) { return m.username == *canonical; });
    if (!listed) initial.push_back({*canonical, false});
  }
  auto created = co_await group_call(std::move(frame));
  if (!created) co_return created.status();
  const GroupId id = created->id;
  if (auto diff = difference(created->members, initial)) co_return unverified(id, *diff);
  crypto::MembershipChain chain(id, 0, {}, {});
  auto record = chain.next(username_, crypto::MembershipAction::kCreate, {}, initial,
                           SystemClock::instance().now_ms());
  if (!record) co_return record.status();
  crypto::sign_record(*record, *identity_);
  wire::Frame sign;
  sign.mutable_change_membership()->set_record(crypto::encode_record(*record));
  auto reply = co_await call(std::move(sign));
  if (!reply) co_return reply.status();
  auto verified = co_await verified_group(id);
  if (!verified) co_return verified.status();
  co_return std::move(verified->info);
}

asio::awaitable<Result<GroupInfo>> Client::Impl::change_membership(GroupId group,
                                                                   crypto::MembershipAction action,
                                                                   std::string subject) {
  if (username_.empty() || !identity_) co_return Status(Code::kNotAuthenticated, "not logged in");
  for (int attempt = 1;; ++attempt) {
    auto current = co_await verified_group(group);
    if (!current && action == crypto::MembershipAction::kLeave &&
        current.code() == Code::kMembershipUnverified && history_ && !history_->group_head(group)) {
      // Leaving a group nobody signed yet: the unsigned request still works for it.
      wire::Frame leave;
      leave.mutable_leave_group()->set_group_id(group);
      auto left = co_await call(std::move(leave));
      if (!left) co_return left.status();
      co_return GroupInfo{group, {}, {}, 0};
    }
    if (!current) co_return current.status();
    auto record =
        current->chain.next(username_, action, subject, {}, SystemClock::instance().now_ms());
    if (!record) co_return record.status();
    crypto::sign_record(*record, *identity_);
    wire::Frame frame;
    frame.mutable_change_membership()->set_record(crypto::encode_record(*record));
    auto reply = co_await call(std::move(frame));
    if (!reply && reply.code() == Code::kMembershipChanged && attempt < kMaxMembershipRetries) {
      continue;  // another change came first: verify it and sign again
    }
    if (!reply) co_return reply.status();
    // Our own record, accepted: the new head (after a leave the chain is out of reach).
    crypto::MembershipChain chain = std::move(current->chain);
    if (Status s = chain.append(*record, identity_->sign_public_key()); !s) co_return s;
    if (history_) {
      const std::vector<MembershipEvent> events{to_event(*record)};
      if (Status s = history_->save_group_head(chain, events); !s) co_return s;
      if (events_.on_membership) events_.on_membership(events.front());
    }
    co_return GroupInfo{group, current->info.name, sorted_members(chain.members()), chain.seq()};
  }
}

asio::awaitable<Status> Client::Impl::set_blocked(std::string user, bool block) {
  auto name = normalize_username(user);
  if (!name) co_return Status(Code::kInvalidUsername, "not a valid username: " + user);
  wire::Frame frame;
  frame.mutable_block()->set_username(*name);
  frame.mutable_block()->set_unblock(!block);
  auto reply = co_await call(std::move(frame));
  co_return reply.status();
}

asio::awaitable<Result<std::vector<std::string>>> Client::Impl::list_blocked() {
  wire::Frame frame;
  frame.mutable_list_blocked();
  auto reply = co_await call(std::move(frame));
  if (!reply) co_return reply.status();
  if (!reply->has_blocked_list()) co_return Status(Code::kBadRequest, "expected BlockedList");
  const auto& names = reply->blocked_list().usernames();
  co_return std::vector<std::string>(names.begin(), names.end());
}

}  // namespace fastchat::client
