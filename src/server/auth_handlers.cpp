#include "server/auth_handlers.h"

#include <spdlog/spdlog.h>

#include <asio/ip/address.hpp>

#include "common/username.h"
#include "crypto/device_key.h"
#include "crypto/identity.h"
#include "crypto/login_proof.h"
#include "server/await_committer.h"
#include "server/session.h"

namespace fastchat::server {

namespace {

bool is_loopback(const std::string& address) {
  asio::error_code ec;
  auto parsed = asio::ip::make_address(address, ec);
  if (ec) return false;
  if (parsed.is_v6() && parsed.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, parsed.to_v6()).is_loopback();
  }
  return parsed.is_loopback();
}

// A resume within this long of the session's last recorded use writes nothing: "last
// used" is kept to the minute, not rewritten by every reconnect.
constexpr std::int64_t kTouchGranularityMs = 60'000;

std::int64_t idle_timeout_ms(const ServerContext& ctx) {
  return ctx.config.session_idle_timeout_s * 1000;
}

// The device a Register or Login binds its session to.
struct Device {
  std::string public_key;
  std::string name;
};

// The device of a Register/Login, or nullopt after answering a malformed one.
std::optional<Device> check_device(Session& session, std::uint64_t request_id,
                                   const std::string& public_key, const std::string& name) {
  if (public_key.size() != crypto::kDevicePublicKeyBytes ||
      name.size() > crypto::kMaxDeviceNameBytes) {
    session.send_error(request_id,
                       Status(Code::kBadRequest,
                              "a login needs a 32-byte device_public_key and a device_name of at "
                              "most 64 bytes"));
    return std::nullopt;
  }
  return Device{public_key, name};
}

void reply_auth_ok(Session& session, std::uint64_t request_id, const std::string& token,
                   std::uint64_t acked_seq) {
  wire::Frame reply;
  reply.set_request_id(request_id);
  auto* ok = reply.mutable_auth_ok();
  ok->set_username(session.username());
  ok->set_session_token(token);
  ok->set_acked_seq(acked_seq);
  session.send(reply);
}

// Creates a session token for `user`, stores its hash, logs the session in and replies.
// `acked_seq`, `last_seq`: the user's record as read for this login.
asio::awaitable<void> open_session(std::shared_ptr<Session> session, std::uint64_t request_id,
                                   UserId user, std::string username, std::uint64_t acked_seq,
                                   std::uint64_t last_seq, Device device) {
  auto& ctx = session->context();
  std::string token = crypto::ServerAuth::new_session_token();
  store::SessionRecord record;
  record.token_hash = ctx.auth.token_hash(token);
  record.user_id = user;
  record.created_ms = ctx.clock.now_ms();
  record.expires_ms = record.created_ms + idle_timeout_ms(ctx);
  record.session_id = crypto::random_session_id();
  record.device_id = crypto::device_id_of(device.public_key);
  record.device_public_key = std::move(device.public_key);
  record.device_name = std::move(device.name);
  record.last_used_ms = record.created_ms;
  const std::uint32_t session_id = record.session_id;
  store::SessionWrite create{store::SessionWrite::Kind::kCreate, record};
  Status stored = co_await commit_session_write(ctx.committer, std::move(create));
  if (!stored) {
    session->send_error(request_id, stored);
    co_return;
  }
  if (session->closed()) co_return;
  session->set_session_id(session_id);
  session->set_device_id(record.device_id);
  session->authenticate(user, std::move(username), record.token_hash, acked_seq, last_seq);
  reply_auth_ok(*session, request_id, token, acked_seq);
}

bool check_not_logged_in(Session& session, std::uint64_t request_id) {
  if (!session.authenticated()) return true;
  session.send_error(request_id, Status(Code::kBadRequest, "already logged in"));
  return false;
}

// The canonical username when a login attempt may go ahead; otherwise answers the
// request (invalid name, already logged in, rate limited when `limited`) and returns
// nullopt.
asio::awaitable<std::optional<std::string>> admit_login(Session& session, std::uint64_t request_id,
                                                        std::string_view raw_username,
                                                        bool limited = true) {
  if (!check_not_logged_in(session, request_id)) co_return std::nullopt;
  auto username = normalize_username(raw_username);
  if (!username) {
    session.send_error(request_id, Status(Code::kInvalidUsername, "not a valid username"));
    co_return std::nullopt;
  }
  if (!limited) co_return username;
  // Named first: no temporaries inside a co_await expression (g++ 12).
  auto check = login_allowed(session.context().limiter, *username, session.peer_address());
  const bool allowed = co_await std::move(check);
  if (!allowed) {
    session.send_error(request_id,
                       Status(Code::kRateLimited, "too many failed logins; try again later"));
    co_return std::nullopt;
  }
  co_return username;
}

}  // namespace

asio::awaitable<void> handle_register(std::shared_ptr<Session> session, std::uint64_t request_id,
                                      wire::Register request) {
  if (!check_not_logged_in(*session, request_id)) co_return;
  auto& ctx = session->context();
  auto username = normalize_username(request.username());
  if (!username || !is_registrable_username(*username)) {
    session->send_error(request_id, Status(Code::kInvalidUsername, kUsernameRule));
    co_return;
  }
  if (request.login_public_key().size() != crypto::kLoginPublicKeyBytes ||
      !request.auth_key().empty()) {
    session->send_error(
        request_id,
        Status(Code::kBadRequest, "Register needs a 32-byte login_public_key and no auth_key"));
    co_return;
  }
  auto device =
      check_device(*session, request_id, request.device_public_key(), request.device_name());
  if (!device) co_return;
  const auto& id = request.identity();
  crypto::PublicIdentity identity{id.sign_public_key(), id.box_public_key(), id.signature()};
  if (Status valid = crypto::verify_public_identity(identity, *username); !valid) {
    session->send_error(request_id,
                        Status(Code::kBadRequest, "identity keys are not validly signed"));
    co_return;
  }
  // The server's own machine is not throttled: load tests and local tools register many
  // accounts (behind a local proxy, --proxy-protocol gives the real addresses).
  if (!is_loopback(session->peer_address())) {
    auto check = register_allowed(ctx.limiter, session->peer_address());
    const bool allowed = co_await std::move(check);
    if (!allowed) {
      spdlog::info("registration refused: too many from {}", session->peer_address());
      session->send_error(request_id, Status(Code::kRateLimited,
                                             "too many accounts registered from this address; "
                                             "try again later"));
      co_return;
    }
  }
  store::NewUser user;
  user.username = *username;
  user.login_public_key = request.login_public_key();
  user.identity = {identity.sign_public_key, identity.box_public_key, identity.signature};
  user.created_ms = ctx.clock.now_ms();
  auto create = [user](store::Store& s) { return s.create_user(user); };
  auto created = co_await ctx.worker.run(std::move(create));
  if (!created) {
    session->send_error(request_id, created.status());
    co_return;
  }
  spdlog::info("registered user '{}' (id {})", *username, *created);
  co_await open_session(session, request_id, *created, *username, 0, 0, std::move(*device));
}

asio::awaitable<void> handle_login(std::shared_ptr<Session> session, std::uint64_t request_id,
                                   wire::Login request) {
  auto username = co_await admit_login(*session, request_id, request.username());
  if (!username) co_return;
  auto& ctx = session->context();
  auto find = [name = *username](store::Store& s) { return s.find_user(name); };
  auto user = co_await ctx.worker.run(std::move(find));
  if (!user) {
    if (user.code() == Code::kUnknownUser) {
      auto failed = record_login_failure(ctx.limiter, *username, session->peer_address());
      co_await std::move(failed);
    }
    session->send_error(request_id, user.status());
    co_return;
  }
  const bool legacy = user->login_public_key.empty();
  if (legacy && request.auth_key().empty()) {
    // Not a failure: the client proves the password once more, then has a login key.
    session->send_error(request_id, Status(Code::kLoginUpgradeRequired,
                                           "this account predates login keys: send auth_key "
                                           "once with the login key"));
    co_return;
  }
  const std::string& key = legacy ? request.login_public_key() : user->login_public_key;
  const bool proven =
      crypto::verify_login(key, request.login_signature(), *username, session->login_nonce(),
                           session->channel_binding()) &&
      (!legacy || (!user->auth_verifier.empty() &&
                   ctx.auth.check_auth_key(*username, request.auth_key(), user->auth_verifier)));
  if (!proven) {
    auto failed = record_login_failure(ctx.limiter, *username, session->peer_address());
    co_await std::move(failed);
    spdlog::info("failed login for '{}' from {}", *username, session->peer_address());
    session->send_error(request_id, Status(Code::kAuthFailed, "wrong password"));
    co_return;
  }
  // Checked once the password is proven: a failed proof answers AUTH_FAILED whatever
  // else is wrong.
  auto device =
      check_device(*session, request_id, request.device_public_key(), request.device_name());
  if (!device) co_return;
  if (legacy) {
    auto upgrade = [id = user->id, key](store::Store& s) { return s.set_login_key(id, key); };
    Status upgraded = co_await ctx.worker.run(std::move(upgrade));
    if (!upgraded) {
      session->send_error(request_id, upgraded);
      co_return;
    }
    spdlog::info("user '{}' moved from auth_key to a login key", *username);
  }
  ctx.limiter.record_success(*username, session->peer_address());
  co_await open_session(session, request_id, user->id, user->username, user->acked_seq,
                        user->last_seq, std::move(*device));
}

asio::awaitable<void> handle_resume(std::shared_ptr<Session> session, std::uint64_t request_id,
                                    wire::Resume request) {
  // A valid token is never refused, however many logins failed in the user's name
  // (failures are anyone's to cause); only a wrong token meets the limiter.
  auto username = co_await admit_login(*session, request_id, request.username(), false);
  if (!username) co_return;
  auto& ctx = session->context();
  const std::string token_hash = ctx.auth.token_hash(request.session_token());
  const std::int64_t now = ctx.clock.now_ms();
  auto find = [token_hash, now](store::Store& s) { return s.lookup_session(token_hash, now); };
  auto found = co_await ctx.worker.run(std::move(find));
  if (!found && found.code() == Code::kUnavailable) {
    session->send_error(request_id, found.status());
    co_return;
  }
  // The server's idle timeout applies even to a session stored under a longer one.
  const bool live = found && found->user.username == *username &&
                    now - found->session.last_used_ms < idle_timeout_ms(ctx);
  // Bound to the device that logged in: the token alone, or a Resume recorded on
  // another connection, resumes nothing.
  const bool proven =
      live && crypto::verify_resume(found->session.device_public_key, request.device_signature(),
                                    *username, session->login_nonce(), session->channel_binding());
  if (!proven) {
    auto check = login_allowed(ctx.limiter, *username, session->peer_address());
    if (!co_await std::move(check)) {
      session->send_error(request_id,
                          Status(Code::kRateLimited, "too many failed logins; try again later"));
      co_return;
    }
    auto failed = record_login_failure(ctx.limiter, *username, session->peer_address());
    co_await std::move(failed);
    if (!live) {
      session->send_error(
          request_id, Status(Code::kSessionExpired, "session expired or revoked; log in again"));
    } else {
      spdlog::info("resume of '{}' without its device's proof from {}", *username,
                   session->peer_address());
      session->send_error(request_id,
                          Status(Code::kAuthFailed, "this session belongs to another device"));
    }
    co_return;
  }
  if (now - found->session.last_used_ms >= kTouchGranularityMs) {
    auto touch = [token_hash, now, expires = now + idle_timeout_ms(ctx)](store::Store& s) {
      return s.touch_session(token_hash, now, expires);
    };
    Status touched = co_await ctx.worker.run(std::move(touch));
    if (!touched) {
      session->send_error(request_id, touched);
      co_return;
    }
  }
  if (session->closed()) co_return;
  const auto& user = found->user;
  session->set_session_id(found->session.session_id);
  session->set_device_id(found->session.device_id);
  session->authenticate(user.id, user.username, token_hash, user.acked_seq, user.last_seq);
  reply_auth_ok(*session, request_id, "", user.acked_seq);
}

asio::awaitable<void> handle_change_login_key(std::shared_ptr<Session> session,
                                              std::uint64_t request_id,
                                              wire::ChangeLoginKey request) {
  auto& ctx = session->context();
  auto find = [id = session->user_id()](store::Store& s) { return s.find_user_by_id(id); };
  auto user = co_await ctx.worker.run(std::move(find));
  if (!user) {
    session->send_error(request_id, user.status());
    co_return;
  }
  if (!crypto::verify_key_change(user->login_public_key, request.proof(), user->username,
                                 session->login_nonce(), session->channel_binding(),
                                 request.new_login_public_key())) {
    auto failed = record_login_failure(ctx.limiter, user->username, session->peer_address());
    co_await std::move(failed);
    session->send_error(request_id, Status(Code::kAuthFailed, "the current password is wrong"));
    co_return;
  }
  auto change = [id = user->id, key = request.new_login_public_key(),
                 keep = session->token_hash()](store::Store& s) -> Result<std::size_t> {
    if (Status set = s.set_login_key(id, key); !set) return set;
    return s.revoke_sessions_except(id, keep);
  };
  auto revoked = co_await ctx.worker.run(std::move(change));
  if (!revoked) {
    session->send_error(request_id, revoked.status());
    co_return;
  }
  // Their connections end on every server of a cluster, not only here.
  ctx.bus.publish_revocation({user->id, session->session_id(), /*all_but=*/true});
  spdlog::info("user '{}' changed the password; {} other sessions revoked", user->username,
               *revoked);
  wire::Frame reply;
  reply.set_request_id(request_id);
  reply.mutable_ok();
  session->send(reply);
}

asio::awaitable<void> handle_logout(std::shared_ptr<Session> session, std::uint64_t request_id) {
  auto& ctx = session->context();
  store::SessionWrite revoke{store::SessionWrite::Kind::kRevoke, {}};
  revoke.session.token_hash = session->token_hash();
  Status deleted = co_await commit_session_write(ctx.committer, std::move(revoke));
  if (!deleted) {
    session->send_error(request_id, deleted);
    co_return;
  }
  wire::Frame reply;
  reply.set_request_id(request_id);
  reply.mutable_ok();
  session->send(reply);
  session->close_after_flush();
}

}  // namespace fastchat::server
