#include "fake_server.h"

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <utility>

#include "crypto/login_proof.h"
#include "crypto/membership.h"

namespace fastchat::client::testing {

namespace {
constexpr auto kAsTuple = asio::experimental::as_tuple(asio::use_awaitable);
}

struct FakeServer::Session : std::enable_shared_from_this<Session> {
  explicit Session(asio::ip::tcp::socket s) : socket(std::move(s)) {}
  std::string login_nonce = crypto::new_login_nonce();

  void send(const wire::Frame& frame) {
    if (closed) return;
    protocol::append_frame(outbound, frame);
    if (writing) return;
    writing = true;
    asio::co_spawn(socket.get_executor(), flush(shared_from_this()), asio::detached);
  }
  static asio::awaitable<void> flush(std::shared_ptr<Session> self) {
    while (!self->outbound.empty() && !self->closed) {
      std::string bytes;
      bytes.swap(self->outbound);
      auto [ec, n] = co_await asio::async_write(self->socket, asio::buffer(bytes), kAsTuple);
      if (ec) break;
    }
    self->writing = false;
    if (self->close_after_flush) self->close();
  }
  void close() {
    if (closed) return;
    closed = true;
    asio::error_code ec;
    socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket.close(ec);
  }

  asio::ip::tcp::socket socket;
  protocol::FrameDecoder decoder;
  std::string user;
  std::string outbound;
  bool writing = false;
  bool closed = false;
  bool close_after_flush = false;
};

FakeServer::FakeServer(asio::io_context& io)
    : io_(io), acceptor_(io, {asio::ip::make_address("127.0.0.1"), 0}) {
  port_ = acceptor_.local_endpoint().port();
  asio::co_spawn(io_, accept_loop(), asio::detached);
}

FakeServer::~FakeServer() {
  asio::error_code ec;
  acceptor_.close(ec);
  disconnect_all();
}

void FakeServer::release_bundles() {
  hold_bundles_of.clear();
  for (auto& [session, frame] : held_bundles_)
    reply(session, frame);
  held_bundles_.clear();
}

void FakeServer::disconnect_all() {
  for (auto& s : sessions_)
    s->close();
  sessions_.clear();
}

void FakeServer::disconnect(const std::string& user) {
  for (auto& s : sessions_) {
    if (s->user == user) s->close();
  }
}

std::size_t FakeServer::sessions() const {
  return static_cast<std::size_t>(
      std::count_if(sessions_.begin(), sessions_.end(), [](const auto& s) { return !s->closed; }));
}

asio::awaitable<void> FakeServer::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(kAsTuple);
    if (ec) co_return;
    auto session = std::make_shared<Session>(std::move(socket));
    sessions_.push_back(session);
    asio::co_spawn(io_, serve(session), asio::detached);
  }
}

asio::awaitable<void> FakeServer::serve(std::shared_ptr<Session> session) {
  wire::Frame frame;
  while (!session->closed) {
    auto area = session->decoder.prepare(64 * 1024);
    auto [ec, n] =
        co_await session->socket.async_read_some(asio::buffer(area.data(), area.size()), kAsTuple);
    if (ec) break;
    received_.append(area.data(), n);
    session->decoder.commit(n);
    while (!session->closed &&
           session->decoder.next(frame) == protocol::FrameDecoder::Next::kFrame) {
      handle(session, frame);
      frame.Clear();
    }
  }
  session->close();
}

void FakeServer::reply(const std::shared_ptr<Session>& session, const wire::Frame& frame) {
  session->send(frame);
}

void FakeServer::error(const std::shared_ptr<Session>& session, std::uint64_t request_id,
                       wire::ErrorCode code, const std::string& message) {
  wire::Frame f;
  f.set_request_id(request_id);
  f.mutable_error()->set_code(code);
  f.mutable_error()->set_message(message);
  session->send(f);
}

wire::GroupInfo FakeServer::group_info(std::uint64_t id) const {
  wire::GroupInfo info;
  const auto& g = groups_.at(id);
  info.set_group_id(id);
  info.set_name(g.name);
  for (std::size_t i = 0; i < g.members.size(); ++i) {
    auto* m = info.add_members();
    m->set_username(g.members[i]);
    m->set_admin(i == 0);
  }
  return info;
}

wire::ErrorCode FakeServer::append_record(const std::string& bytes) {
  auto record = crypto::decode_record(bytes);
  if (!record) return wire::BAD_REQUEST;
  auto it = groups_.find(record->group_id);
  if (it == groups_.end()) return wire::UNKNOWN_GROUP;
  Group& g = it->second;
  if (record->seq != g.records.size() + 1) return wire::MEMBERSHIP_CHANGED;
  g.records.push_back(bytes);
  const bool listed =
      std::find(g.members.begin(), g.members.end(), record->subject) != g.members.end();
  switch (record->action) {
    case crypto::MembershipAction::kCreate:
      break;
    case crypto::MembershipAction::kAdd:
      if (!listed) g.members.push_back(record->subject);
      break;
    case crypto::MembershipAction::kRemove:
    case crypto::MembershipAction::kLeave:
      std::erase(g.members, record->subject);
      break;
  }
  return wire::ERROR_CODE_UNSPECIFIED;
}

void FakeServer::handle(const std::shared_ptr<Session>& session, wire::Frame& frame) {
  const std::uint64_t id = frame.request_id();
  wire::Frame out;
  out.set_request_id(id);
  auto auth_ok = [&](const std::string& name, const std::string& token) {
    session->user = name;
    auto* ok = out.mutable_auth_ok();
    ok->set_username(name);
    ok->set_session_token(token);
    ok->set_acked_seq(users_[name].acked);
    reply(session, out);
  };
  const bool needs_login =
      !(frame.has_hello() || frame.has_register_() || frame.has_login() || frame.has_resume());
  if (needs_login && session->user.empty()) {
    return error(session, id, wire::NOT_AUTHENTICATED, "log in first");
  }
  switch (frame.body_case()) {
    case wire::Frame::kHello:
      out.mutable_hello_ok()->set_protocol_version(protocol::kProtocolVersion);
      out.mutable_hello_ok()->set_server_name("fake");
      out.mutable_hello_ok()->set_login_nonce(session->login_nonce);
      return reply(session, out);
    case wire::Frame::kRegister: {
      const auto& r = frame.register_();
      if (users_.count(r.username())) return error(session, id, wire::USERNAME_TAKEN, "taken");
      auto& user = users_[r.username()];
      user.login_public_key = r.login_public_key();
      user.identity = r.identity();
      const std::string token = "token-" + std::to_string(next_token_++);
      user.tokens.insert(token);
      return auth_ok(r.username(), token);
    }
    case wire::Frame::kLogin: {
      auto it = users_.find(frame.login().username());
      if (it == users_.end() ||
          !crypto::verify_login(it->second.login_public_key, frame.login().login_signature(),
                                it->first, session->login_nonce, "")) {
        return error(session, id, wire::AUTH_FAILED, "wrong password");
      }
      const std::string token = "token-" + std::to_string(next_token_++);
      it->second.tokens.insert(token);
      return auth_ok(it->first, token);
    }
    case wire::Frame::kResume: {
      if (reject_resumes > 0) {
        --reject_resumes;
        return error(session, id, wire::UNAVAILABLE, "try again later");
      }
      auto it = users_.find(frame.resume().username());
      if (it == users_.end() || !it->second.tokens.count(frame.resume().session_token())) {
        return error(session, id, wire::AUTH_FAILED, "session expired");
      }
      return auth_ok(it->first, "");
    }
    case wire::Frame::kLogout:
      // The fake cannot tell which token this session used: revoke them all.
      users_[session->user].tokens.clear();
      out.mutable_ok();
      session->close_after_flush = true;
      return reply(session, out);
    case wire::Frame::kListUsers:
      for (const auto& [name, user] : users_) {
        auto* u = out.mutable_user_list()->add_users();
        u->set_username(name);
        u->set_online(std::any_of(sessions_.begin(), sessions_.end(),
                                  [&](const auto& s) { return !s->closed && s->user == name; }));
      }
      return reply(session, out);
    case wire::Frame::kGetIdentities:
      ++identity_requests_;
      for (const auto& name : frame.get_identities().usernames()) {
        auto it = users_.find(name);
        if (it == users_.end()) return error(session, id, wire::UNKNOWN_USER, "no such user");
        auto* entry = out.mutable_identities()->add_identities();
        entry->set_username(name);
        *entry->mutable_identity() = it->second.identity;
      }
      return reply(session, out);
    case wire::Frame::kSend:
      return handle_send(session, id, frame.send());
    case wire::Frame::kSync: {
      const auto& inbox = users_[session->user].inbox;
      auto* page = out.mutable_sync_page();
      const std::uint64_t after = frame.sync().after_seq();
      for (const auto& m : inbox) {
        if (m.seq() <= after) continue;
        if (static_cast<std::uint32_t>(page->messages_size()) == page_size) {
          page->set_has_more(true);
          break;
        }
        *page->add_messages() = m;
      }
      return reply(session, out);
    }
    case wire::Frame::kAck: {
      auto& user = users_[session->user];
      user.acked = std::max(user.acked, frame.ack().up_to_seq());
      out.mutable_ok();
      return reply(session, out);
    }
    case wire::Frame::kCreateGroup: {
      const std::uint64_t gid = groups_.size() + 1;
      Group g;
      g.name = frame.create_group().name();
      g.members.push_back(session->user);
      for (const auto& m : frame.create_group().members()) {
        if (!users_.count(m)) return error(session, id, wire::UNKNOWN_USER, "no such user");
        if (std::find(g.members.begin(), g.members.end(), m) == g.members.end()) {
          g.members.push_back(m);
        }
      }
      groups_[gid] = std::move(g);
      *out.mutable_group_info() = group_info(gid);
      return reply(session, out);
    }
    case wire::Frame::kGetGroup: {
      auto it = groups_.find(frame.get_group().group_id());
      if (it == groups_.end()) return error(session, id, wire::UNKNOWN_GROUP, "no such group");
      *out.mutable_group_info() = group_info(it->first);
      return reply(session, out);
    }
    case wire::Frame::kChangeMembership: {
      const std::string& bytes = frame.change_membership().record();
      auto record = crypto::decode_record(bytes);
      if (!record) return error(session, id, wire::BAD_REQUEST, "malformed record");
      if (const auto code = append_record(bytes); code != wire::ERROR_CODE_UNSPECIFIED) {
        return error(session, id, code, "membership record refused");
      }
      if (record->action == crypto::MembershipAction::kLeave) {
        out.mutable_ok();
      } else {
        *out.mutable_group_info() = group_info(record->group_id);
      }
      return reply(session, out);
    }
    case wire::Frame::kGetMembership: {
      auto it = groups_.find(frame.get_membership().group_id());
      if (it == groups_.end()) return error(session, id, wire::UNKNOWN_GROUP, "no such group");
      auto* page = out.mutable_membership_page();
      page->set_group_id(it->first);
      const auto& records = it->second.records;
      for (std::size_t i = frame.get_membership().after_seq(); i < records.size(); ++i)
        page->add_records(records[i]);
      return reply(session, out);
    }
    case wire::Frame::kListGroups:
      for (const auto& [gid, g] : groups_) {
        if (std::find(g.members.begin(), g.members.end(), session->user) != g.members.end()) {
          *out.mutable_group_list()->add_groups() = group_info(gid);
        }
      }
      return reply(session, out);
    case wire::Frame::kWatchPresence:
      for (const auto& name : frame.watch_presence().usernames()) {
        auto* p = out.mutable_presence_list()->add_presence();
        p->set_username(name);
        p->set_online(false);
      }
      return reply(session, out);
    case wire::Frame::kPublishPrekeys: {
      if (!prekeys_supported) break;
      auto& user = users_[session->user];
      const auto& publish = frame.publish_prekeys();
      user.device_id = publish.device_id();
      user.signed_prekey = publish.signed_prekey();
      if (publish.replace_one_time()) user.one_time.clear();
      for (const auto& key : publish.one_time_prekeys())
        user.one_time.push_back(key);
      out.mutable_prekey_status()->set_device_id(publish.device_id());
      out.mutable_prekey_status()->set_one_time_count(
          static_cast<std::uint32_t>(user.one_time.size()));
      return reply(session, out);
    }
    case wire::Frame::kGetPrekeyCount: {
      if (!prekeys_supported) break;
      out.mutable_prekey_status()->set_device_id(frame.get_prekey_count().device_id());
      out.mutable_prekey_status()->set_one_time_count(
          static_cast<std::uint32_t>(users_[session->user].one_time.size()));
      return reply(session, out);
    }
    case wire::Frame::kFetchPrekeyBundles: {
      if (!prekeys_supported) break;
      auto it = users_.find(frame.fetch_prekey_bundles().username());
      if (it == users_.end()) return error(session, id, wire::UNKNOWN_USER, "no such user");
      auto* bundles = out.mutable_prekey_bundles();
      bundles->set_username(it->first);
      if (it->second.signed_prekey) {
        auto* bundle = bundles->add_bundles();
        bundle->set_device_id(it->second.device_id);
        bundle->set_identity_sign_key(it->second.identity.sign_public_key());
        bundle->set_identity_dh_key(it->second.identity.box_public_key());
        *bundle->mutable_signed_prekey() = *it->second.signed_prekey;
        if (!it->second.one_time.empty()) {
          *bundle->mutable_one_time_prekey() = it->second.one_time.front();
          it->second.one_time.pop_front();
        }
      }
      if (!hold_bundles_of.empty() && it->first == hold_bundles_of) {
        ++held_bundle_requests_;
        held_bundles_.emplace_back(session, std::move(out));
        return;
      }
      return reply(session, out);
    }
    default:
      break;
  }
  return error(session, id, wire::BAD_REQUEST, "not supported by the fake server");
}

void FakeServer::handle_send(const std::shared_ptr<Session>& session, std::uint64_t request_id,
                             const wire::Send& send) {
  sends_.push_back(send);
  const std::string& sender = session->user;
  wire::Frame out;
  out.set_request_id(request_id);
  auto* ok = out.mutable_send_ok();
  ok->set_message_id(send.message_id());
  ok->set_server_time_ms(1'700'000'000'000);
  if (stored_ids_.count({sender, send.message_id()})) {
    ok->set_duplicate(true);
    return reply(session, out);
  }
  wire::InboxMessage message;
  message.set_message_id(send.message_id());
  message.set_sender(sender);
  message.set_body(send.body());
  message.set_server_time_ms(1'700'000'000'000);
  if (corrupt_next_body) {
    corrupt_next_body = false;
    message.mutable_body()->back() ^= 0x40;
  }
  std::vector<std::pair<std::string, std::string>> deliveries;  // (recipient, sealed key)
  if (send.to_case() == wire::Send::kUser) {
    if (!users_.count(send.user())) {
      return error(session, request_id, wire::UNKNOWN_USER, "no such user");
    }
    deliveries.emplace_back(send.user(), "");
  } else {
    auto it = groups_.find(send.group_id());
    if (it == groups_.end()) return error(session, request_id, wire::UNKNOWN_GROUP, "no group");
    auto& members = it->second.members;
    bool joined = false;
    if (!join_before_next_group_send.empty()) {
      members.push_back(join_before_next_group_send);
      join_before_next_group_send.clear();
      joined = true;
    }
    if (!append_before_next_group_send.empty()) {
      (void)append_record(std::exchange(append_before_next_group_send, {}));
    }
    if (std::find(members.begin(), members.end(), sender) == members.end()) {
      return error(session, request_id, wire::FORBIDDEN, "not a member");
    }
    if (send.membership_seq() != 0) {
      // Sender Keys: as the real server, one body for the chain the sender sealed for (a
      // member added meanwhile, even without a record, changes the membership).
      if (joined || send.key_wraps_size() != 0 ||
          send.membership_seq() != it->second.records.size()) {
        return error(session, request_id, wire::MEMBERSHIP_CHANGED, "members changed");
      }
    }
    for (const auto& member : members) {
      if (member == sender) continue;
      if (send.membership_seq() != 0) {
        deliveries.emplace_back(member, "");
        continue;
      }
      auto wrap = std::find_if(send.key_wraps().begin(), send.key_wraps().end(),
                               [&](const auto& w) { return w.username() == member; });
      if (wrap == send.key_wraps().end()) {
        return error(session, request_id, wire::MEMBERSHIP_CHANGED, "members changed");
      }
      deliveries.emplace_back(member, wrap->sealed_key());
    }
    message.set_group_id(send.group_id());
  }
  stored_ids_.insert({sender, send.message_id()});
  for (auto& [recipient, key] : deliveries) {
    wire::InboxMessage copy = message;
    copy.set_sealed_key(key);
    deliver(recipient, std::move(copy));
  }
  if (drop_after_commit > 0) {
    --drop_after_commit;
    session->close();
    return;
  }
  reply(session, out);
}

void FakeServer::deliver(const std::string& recipient, wire::InboxMessage message) {
  auto& user = users_[recipient];
  message.set_seq(user.inbox.size() + 1);
  user.inbox.push_back(message);
  if (!pushes_enabled) return;
  wire::Frame push;
  *push.mutable_message() = message;
  for (auto& s : sessions_) {
    if (s->closed || s->user != recipient) continue;
    s->send(push);
    if (duplicate_pushes) s->send(push);
  }
}

}  // namespace fastchat::client::testing
