#include "server/request_router.h"

#include <spdlog/spdlog.h>

#include "common/supervised.h"
#include "crypto/login_proof.h"
#include "protocol/frame_codec.h"
#include "server/auth_handlers.h"
#include "server/directory_handlers.h"
#include "server/group_handlers.h"
#include "server/membership_handlers.h"
#include "server/message_handlers.h"
#include "server/prekey_handlers.h"
#include "server/send_rate_limiter.h"
#include "server/session.h"
#include "server/session_handlers.h"

namespace fastchat::server {

namespace {

// Holds the request's slot for as long as the handler runs, whether it returns or throws.
asio::awaitable<void> in_slot(Session::RequestSlot /*held*/, asio::awaitable<void> handler) {
  co_await std::move(handler);
}

}  // namespace

void spawn_request(const std::shared_ptr<Session>& session, asio::awaitable<void> handler) {
  spawn_supervised(session->executor(), in_slot(session->request_slot(), std::move(handler)),
                   "request handler of '" + session->username() + "'",
                   session->context().counters.task_failures, [session] { session->close(); });
}

namespace {

void handle_hello(Session& session, std::uint64_t request_id, const wire::Hello& hello) {
  if (session.hello_done()) {
    session.send_error(request_id, Status(Code::kBadRequest, "Hello was already sent"));
    return;
  }
  if (hello.protocol_version() != protocol::kProtocolVersion) {
    session.fail(
        request_id,
        Status(Code::kUnsupportedVersion,
               "server speaks protocol version " + std::to_string(protocol::kProtocolVersion) +
                   ", client sent " + std::to_string(hello.protocol_version())));
    return;
  }
  session.set_hello_done();
  wire::Frame reply;
  reply.set_request_id(request_id);
  auto* ok = reply.mutable_hello_ok();
  ok->set_protocol_version(protocol::kProtocolVersion);
  ok->set_server_name(session.context().config.server_name);
  ok->set_max_frame_bytes(protocol::kMaxFrameBytes);
  session.set_login_nonce(crypto::new_login_nonce());
  ok->set_login_nonce(session.login_nonce());
  session.send(reply);
}

void handle_locate(Session& session, std::uint64_t request_id) {
  const auto& config = session.context().config;
  wire::Frame reply;
  reply.set_request_id(request_id);
  auto* address = reply.mutable_server_address();
  address->set_host(config.public_host.empty() ? config.listen_host : config.public_host);
  address->set_port(config.listen_port);
  address->set_server_id(config.server_id.empty() ? config.server_name : config.server_id);
  session.send(reply);
}

bool needs_login(wire::Frame::BodyCase body) {
  switch (body) {
    case wire::Frame::kHello:
    case wire::Frame::kRegister:
    case wire::Frame::kLogin:
    case wire::Frame::kResume:
    case wire::Frame::kLocate:
    case wire::Frame::kPing:
      return false;
    default:
      return true;
  }
}

}  // namespace

void route_frame(const std::shared_ptr<Session>& session, wire::Frame&& frame) {
  const std::uint64_t id = frame.request_id();
  const auto body = frame.body_case();
  if (!session->hello_done() && body != wire::Frame::kHello) {
    session->fail(id, Status(Code::kBadRequest, "the first frame must be Hello"));
    return;
  }
  if (needs_login(body) && !session->authenticated()) {
    session->send_error(id, Status(Code::kNotAuthenticated, "log in first"));
    return;
  }
  switch (body) {
    case wire::Frame::kHello:
      return handle_hello(*session, id, frame.hello());
    case wire::Frame::kLocate:
      return handle_locate(*session, id);
    case wire::Frame::kPing: {
      wire::Frame ok;
      ok.set_request_id(id);
      ok.mutable_ok();
      return session->send(ok);
    }
    case wire::Frame::kRegister:
      return spawn_request(session,
                           handle_register(session, id, std::move(*frame.mutable_register_())));
    case wire::Frame::kLogin:
      return spawn_request(session, handle_login(session, id, std::move(*frame.mutable_login())));
    case wire::Frame::kResume:
      return spawn_request(session, handle_resume(session, id, std::move(*frame.mutable_resume())));
    case wire::Frame::kLogout:
      return spawn_request(session, handle_logout(session, id));
    case wire::Frame::kChangeLoginKey:
      return spawn_request(session, handle_change_login_key(
                                        session, id, std::move(*frame.mutable_change_login_key())));
    case wire::Frame::kListSessions:
      return spawn_request(session, handle_list_sessions(session, id));
    case wire::Frame::kRevokeSession:
      return spawn_request(
          session, handle_revoke_session(session, id, std::move(*frame.mutable_revoke_session())));
    case wire::Frame::kListUsers:
      return spawn_request(session,
                           handle_list_users(session, id, std::move(*frame.mutable_list_users())));
    case wire::Frame::kGetIdentities:
      return spawn_request(
          session, handle_get_identities(session, id, std::move(*frame.mutable_get_identities())));
    case wire::Frame::kWatchPresence:
      return spawn_request(
          session, handle_watch_presence(session, id, std::move(*frame.mutable_watch_presence())));
    case wire::Frame::kSend:
      if (auto* limiter = session->context().send_limiter) {
        // Before anything is queued or stored: a refused send costs the server nothing.
        if (Status s = limiter->try_acquire(session->user_id(), frame.send().ByteSizeLong()); !s) {
          session->context().counters.sends_rate_limited.fetch_add(1, std::memory_order_relaxed);
          return session->send_error(id, s);
        }
      }
      session->begin_request();
      return session->enqueue_send(id, std::move(*frame.mutable_send()));
    case wire::Frame::kSync:
      return spawn_request(session, handle_sync(session, id, frame.sync()));
    case wire::Frame::kAck:
      return handle_ack(session, id, frame.ack());
    case wire::Frame::kCreateGroup:
      return spawn_request(
          session, handle_create_group(session, id, std::move(*frame.mutable_create_group())));
    case wire::Frame::kGetGroup:
      return spawn_request(session, handle_get_group(session, id, frame.get_group()));
    case wire::Frame::kListGroups:
      return spawn_request(session, handle_list_groups(session, id, frame.list_groups()));
    case wire::Frame::kAddMember:
      return spawn_request(session,
                           handle_add_member(session, id, std::move(*frame.mutable_add_member())));
    case wire::Frame::kRemoveMember:
      return spawn_request(
          session, handle_remove_member(session, id, std::move(*frame.mutable_remove_member())));
    case wire::Frame::kLeaveGroup:
      return spawn_request(session, handle_leave_group(session, id, frame.leave_group()));
    case wire::Frame::kChangeMembership:
      return spawn_request(
          session,
          handle_change_membership(session, id, std::move(*frame.mutable_change_membership())));
    case wire::Frame::kGetMembership:
      return spawn_request(session, handle_get_membership(session, id, frame.get_membership()));
    case wire::Frame::kBlock:
      return spawn_request(session, handle_block(session, id, std::move(*frame.mutable_block())));
    case wire::Frame::kListBlocked:
      return spawn_request(session, handle_list_blocked(session, id, frame.list_blocked()));
    case wire::Frame::kPublishPrekeys:
      return spawn_request(session, handle_publish_prekeys(
                                        session, id, std::move(*frame.mutable_publish_prekeys())));
    case wire::Frame::kGetPrekeyCount:
      return spawn_request(session, handle_get_prekey_count(session, id, frame.get_prekey_count()));
    case wire::Frame::kFetchPrekeyBundles:
      return spawn_request(
          session, handle_fetch_prekey_bundles(session, id,
                                               std::move(*frame.mutable_fetch_prekey_bundles())));
    case wire::Frame::BODY_NOT_SET:
      session->context().counters.protocol_errors.fetch_add(1, std::memory_order_relaxed);
      return session->send_error(id, Status(Code::kBadRequest, "empty or unknown request"));
    default:
      session->context().counters.protocol_errors.fetch_add(1, std::memory_order_relaxed);
      return session->send_error(id, Status(Code::kBadRequest, "not a request"));
  }
}

}  // namespace fastchat::server
