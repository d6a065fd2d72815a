// Client::Impl, account and connection: register, login, resume, logout, and the
// reconnect loop of run(). See client_impl.h.
#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>
#include <cstdio>
#include <random>

#include "client/client_impl.h"
#include "client/password_strength.h"
#include "common/clock.h"
#include "common/supervised.h"
#include "common/username.h"
#include "crypto/device_key.h"
#include "crypto/kernel_keyring.h"
#include "crypto/keystore.h"
#include "crypto/login_proof.h"
#include "crypto/password.h"

namespace fastchat::client {

namespace {

using namespace std::chrono_literals;

constexpr auto kMinBackoff = 100ms;
constexpr auto kMaxBackoff = 5000ms;
constexpr auto kWaitForReconnect = 15s;

// Argon2id (~100 ms, 64 MiB) runs here rather than on the caller's event loop. Two
// threads bound the memory when many clients log in at once (the load tester).
asio::thread_pool& kdf_pool() {
  static asio::thread_pool pool(2);
  return pool;
}

// A plain coroutine rather than a capturing coroutine lambda: g++ 12 destroys the
// captures of a lambda handed to co_spawn twice.
asio::awaitable<crypto::PasswordKeys> derive_on_pool(std::string username,
                                                     crypto::SecretBytes password) {
  co_return crypto::derive_password_keys(username, password.view());
}

asio::awaitable<crypto::PasswordKeys> derive_keys(std::string username,
                                                  crypto::SecretBytes password) {
  co_return co_await asio::co_spawn(
      kdf_pool(), derive_on_pool(std::move(username), std::move(password)), asio::use_awaitable);
}

std::chrono::milliseconds with_jitter(std::chrono::milliseconds base) {
  thread_local std::minstd_rand rng{std::random_device{}()};
  std::uniform_int_distribution<long> spread(0, base.count() / 2);
  return base + std::chrono::milliseconds(spread(rng));
}

Status invalid_username() {
  return Status(Code::kInvalidUsername, "use 1-32 characters of a-z 0-9 _ . -");
}

void set_identity(wire::PublicIdentity& out, const crypto::PublicIdentity& in) {
  out.set_sign_public_key(in.sign_public_key);
  out.set_box_public_key(in.box_public_key);
  out.set_signature(in.signature);
}

}  // namespace

bool Client::Impl::session_ready() const {
  return authenticated_ && conn_ && conn_->is_open();
}

// Connects and says Hello. When the peer is a balancer, asks it which server to use
// and connects there instead; reconnects go through the balancer again, so a dead
// server is left behind.
// With TLS, the server a balancer names must present the balancer's own key (one
// cluster identity), so whoever can write to Redis cannot send us elsewhere.
asio::awaitable<Result<std::shared_ptr<Connection>>> Client::Impl::connect_to_server() {
  if (!tls_status_) co_return tls_status_;
  Endpoint target = config_.server;
  std::string cluster_key;
  for (int hop = 0; hop < 2; ++hop) {
    ConnectionOptions options;
    options.tls = tls_;
    options.trust = trust_;
    options.sessions = tls_sessions_;
    options.expect_fingerprint = cluster_key;
    options.keepalive = config_.keepalive;
    auto conn = Connection::create(executor_, options);
    if (trust_ && !trust_->file().empty() && hop == 0) {
      if (Status s = make_private_dirs(home_.home()); !s) co_return s;
    }
    if (Status s = co_await conn->connect(target.host, target.port); !s) co_return s;
    auto hello = co_await say_hello(*conn, config_.client_name);
    if (!hello) {
      conn->close();
      co_return hello.status();
    }
    if (!conn->is_open()) co_return Status(Code::kUnavailable, "connection closed after Hello");
    if (!hello->balancer()) co_return conn;
    cluster_key = conn->peer_fingerprint();
    wire::Frame locate;
    locate.mutable_locate();
    auto answer = co_await conn->request(std::move(locate));
    conn->close();
    if (!answer) co_return answer.status();
    if (!answer->has_server_address()) {
      co_return Status(Code::kBadRequest, "balancer answered Locate without an address");
    }
    target.host = answer->server_address().host();
    target.port = static_cast<std::uint16_t>(answer->server_address().port());
    spdlog::debug("balancer {} sent us to {}", config_.server.to_string(), target.to_string());
  }
  co_return Status(Code::kNoServer, "a balancer sent us to another balancer");
}

asio::awaitable<Status> Client::Impl::open_connection() {
  if (conn_ && conn_->is_open()) co_return Status::ok();
  auto connected = co_await connect_to_server();
  if (!connected) co_return connected.status();
  auto conn = std::move(*connected);
  Connection* raw = conn.get();
  conn->set_push_handler([this](wire::Frame& frame) { on_push(frame); });
  conn->set_close_handler([this, raw](const Status& reason) { on_closed(raw, reason); });
  if (conn_) {
    conn_->set_close_handler(nullptr);
    conn_->close();
  }
  conn_ = std::move(conn);
  authenticated_ = false;
  spdlog::debug("connected to {}", config_.server.to_string());
  co_return Status::ok();
}

asio::awaitable<Result<wire::AuthOk>> Client::Impl::authenticate(wire::Frame request) {
  AuthRequest same = [request = std::move(request)](const Connection&) { return request; };
  co_return co_await authenticate_with(std::move(same));
}

asio::awaitable<Result<wire::AuthOk>> Client::Impl::authenticate_with(AuthRequest make) {
  if (Status s = co_await open_connection(); !s) co_return s;
  auto conn = conn_;
  auto reply = co_await conn->request(make(*conn));
  if (!reply) co_return reply.status();
  if (!reply->has_auth_ok()) co_return Status(Code::kBadRequest, "expected AuthOk");
  co_return std::move(*reply->mutable_auth_ok());
}

void Client::Impl::on_closed(Connection* connection, const Status& reason) {
  if (conn_.get() != connection) return;
  const bool was_up = authenticated_;
  authenticated_ = false;
  need_sync_ = true;
  session_changed_.notify();
  run_wake_.notify();
  if (was_up) {
    spdlog::info("disconnected from {}: {}", config_.server.to_string(), reason.message());
    if (events_.on_connection) events_.on_connection(false);
  }
}

void Client::Impl::request_sync() {
  need_sync_ = true;
  run_wake_.notify();
}

Status Client::Impl::start_session(const std::string& username,
                                   std::unique_ptr<crypto::Identity> identity,
                                   crypto::SecretBytes token, std::uint64_t server_acked_seq,
                                   bool save_session_file) {
  contacts_.reset();
  files_.reset();
  history_.reset();
  if (config_.persist) {
    if (Status s = make_private_dirs(home_.user_dir(username)); !s) return s;
  }
  if (auto kept = memory_histories_.find(username); kept != memory_histories_.end()) {
    history_ = std::move(kept->second);
    memory_histories_.erase(kept);
  } else {
    // Needs the unlocked identity: the history is sealed under a key derived from it.
    auto store = HistoryStore::open(config_.persist ? home_.history_db(username) : ":memory:",
                                    crypto::HistoryBox(*identity));
    if (!store) return store.status();
    history_ = std::move(*store);
  }
  identity_ = std::move(identity);
  device_id_ = choose_device_id();
  state_box_ = std::make_unique<crypto::StateBox>(*identity_);
  contacts_ = std::make_unique<ContactBook>(*identity_, *history_, SystemClock::instance());
  contacts_->set_changed_handler([this](std::string_view user, std::string_view fingerprint) {
    if (events_.on_identity_changed) events_.on_identity_changed(user, fingerprint);
  });
  files_ = std::make_unique<FileAssembler>(
      config_.persist ? home_.downloads(username) : std::string(), *history_);
  // Resume from what this machine processed; a fresh history starts where the
  // server's acks are (older messages were shown elsewhere).
  auto local = history_->last_seq();
  if (!local) {
    if (Status s = history_->set_last_seq(server_acked_seq); !s) return s;
  }
  cursor_ = InboxCursor(local.value_or(server_acked_seq), server_acked_seq);
  username_ = username;
  token_ = std::move(token);
  if (save_session_file) {
    if (Status s = save_session_file_now(); !s) {
      drop_session();
      return s;
    }
  }
  authenticated_ = conn_ && conn_->is_open();
  need_sync_ = true;
  session_changed_.notify();
  run_wake_.notify();
  spdlog::info("logged in as '{}' (inbox position {})", username_, cursor_.processed());
  if (events_.on_connection) events_.on_connection(true);
  return Status::ok();
}

Status Client::Impl::save_session_file_now() {
  if (!config_.persist) return Status::ok();
  SavedSession saved;
  saved.username = username_;
  saved.server = config_.server.to_string();
  saved.session_token = crypto::SecretBytes(token_.view());
  return save_logged_in(home_, std::move(saved), data_key_, key_policy_);
}

void Client::Impl::end_session() {
  authenticated_ = false;
  contacts_.reset();
  files_.reset();
  // persist=false: the history (with the ratchet sessions) lives on in memory, as the
  // keys do, for a later login on this Client.
  if (!config_.persist && history_ && !username_.empty()) {
    memory_histories_[username_] = std::move(history_);
  }
  history_.reset();
  state_box_.reset();
  identity_.reset();
  prekeys_consumed_ = false;
  username_.clear();
  token_ = crypto::SecretBytes();
  data_key_ = crypto::SecretBytes();
  device_key_ = crypto::LoginKey();
  cursor_ = InboxCursor();
  watched_.clear();
  pushes_.clear();
  push_bytes_ = 0;
  pending_receipts_.clear();
  pending_receipt_count_ = 0;
  checked_groups_.clear();
  session_changed_.notify();
  run_wake_.notify();
  push_wake_.notify();
}

void Client::Impl::drop_session() {
  if (conn_) conn_->close();
  end_session();
}

asio::awaitable<Status> Client::Impl::register_account(std::string username,
                                                       crypto::SecretBytes password) {
  auto name = normalize_username(username);
  if (!name || !is_registrable_username(*name))
    co_return Status(Code::kInvalidUsername, kUsernameRule);
  if (password.empty()) co_return Status(Code::kBadRequest, "the password is empty");
  if (Status s = check_password_strength(password.view(), *name); !s) co_return s;
  // Before the server knows anything: where the data key will wait must work here.
  if (config_.persist) {
    if (Status s = check_data_key_store(key_policy_); !s) co_return s;
  }
  auto guard = co_await inbox_lock_.lock();
  drop_session();
  auto keys = co_await derive_keys(*name, std::move(password));
  auto identity = std::make_unique<crypto::Identity>(crypto::Identity::generate());

  // The keys are on disk before the server knows the account; staged under another
  // name so that a failed registration cannot overwrite an existing keystore.
  const std::string keystore = home_.keystore(*name);
  const std::string staged = keystore + ".new";
  crypto::SecretBytes data_key;
  if (config_.persist) {
    if (Status s = make_private_dirs(home_.user_dir(*name)); !s) co_return s;
    if (Status s = crypto::save_keystore(staged, *name, *identity, keys.storage_key, &data_key);
        !s) {
      co_return s;
    }
  }
  auto device = device_key_for(*name);
  if (!device) {
    if (config_.persist) std::remove(staged.c_str());
    co_return device.status();
  }
  wire::Frame frame;
  auto* request = frame.mutable_register_();
  request->set_username(*name);
  request->set_login_public_key(crypto::login_key_from_seed(keys.login_seed).public_key);
  request->set_device_public_key(device->public_key);
  request->set_device_name(device_name());
  set_identity(*request->mutable_identity(), identity->public_identity(*name));
  auto ok = co_await authenticate(std::move(frame));
  if (!ok) {
    if (config_.persist) std::remove(staged.c_str());
    co_return ok.status();
  }
  if (config_.persist && std::rename(staged.c_str(), keystore.c_str()) != 0) {
    co_return Status(Code::kIo,
                     "registered, but could not move the keystore into place; it is at " + staged +
                         " (rename it to " + keystore + ")");
  }
  if (!config_.persist) memory_keys_.insert_or_assign(*name, identity->serialize_secret());
  data_key_ = std::move(data_key);
  device_key_ = std::move(*device);
  spdlog::info("registered '{}'", *name);
  if (Status s = start_session(*name, std::move(identity), crypto::SecretBytes(ok->session_token()),
                               ok->acked_seq(), true);
      !s) {
    co_return s;
  }
  co_await maintain_prekeys_logged(false);
  co_return Status::ok();
}

asio::awaitable<Status> Client::Impl::login(std::string username, crypto::SecretBytes password) {
  auto name = normalize_username(username);
  if (!name) co_return invalid_username();
  auto guard = co_await inbox_lock_.lock();
  drop_session();
  const std::string keystore = home_.keystore(*name);
  if (config_.persist ? !file_exists(keystore) : memory_keys_.count(*name) == 0) {
    co_return Status(Code::kNotFound,
                     "no keys for '" + *name + "' in " +
                         (config_.persist ? home_.home() : std::string("this client")) +
                         ": the private keys live on the machine where the account was "
                         "registered; log in there");
  }
  if (config_.persist) {
    if (Status s = check_data_key_store(key_policy_); !s) co_return s;
  }
  auto device = device_key_for(*name);
  if (!device) co_return device.status();
  auto keys = co_await derive_keys(*name, std::move(password));
  const crypto::LoginKey login_key = crypto::login_key_from_seed(keys.login_seed);
  // A proof for the connection it goes out on; the auth_key only when the server asks
  // for it, once, to move an account from before login keys onto one.
  bool with_auth_key = false;
  AuthRequest make = [&](const Connection& conn) {
    wire::Frame frame;
    auto* login = frame.mutable_login();
    login->set_username(*name);
    login->set_login_public_key(login_key.public_key);
    login->set_login_signature(
        crypto::sign_login(login_key, *name, conn.login_nonce(), conn.channel_binding()));
    if (with_auth_key) login->set_auth_key(std::string(keys.auth_key.view()));
    login->set_device_public_key(device->public_key);
    login->set_device_name(device_name());
    return frame;
  };
  auto ok = co_await authenticate_with(make);
  if (!ok && ok.code() == Code::kLoginUpgradeRequired) {
    with_auth_key = true;
    ok = co_await authenticate_with(make);
  }
  if (!ok) co_return ok.status();

  Result<crypto::Identity> identity = Status(Code::kNotFound, "no keys");
  if (config_.persist) {
    identity = crypto::load_keystore(keystore, *name, keys.storage_key);
    if (identity) {
      auto data_key = crypto::unwrap_data_key(keystore, *name, keys.storage_key);
      if (!data_key) {
        identity = data_key.status();
      } else {
        data_key_ = std::move(*data_key);
      }
    }
  } else {
    identity = crypto::Identity::from_secret(memory_keys_.at(*name).view());
  }
  if (!identity) {
    if (conn_) conn_->close();
    co_return Status(identity.code(), "logged in, but cannot open the keystore " + keystore + ": " +
                                          identity.status().message());
  }
  device_key_ = std::move(*device);
  if (Status s = start_session(*name, std::make_unique<crypto::Identity>(std::move(*identity)),
                               crypto::SecretBytes(ok->session_token()), ok->acked_seq(), true);
      !s) {
    co_return s;
  }
  co_await maintain_prekeys_logged(true);
  co_return Status::ok();
}

asio::awaitable<Status> Client::Impl::resume() {
  auto guard = co_await inbox_lock_.lock();
  if (!username_.empty()) {
    if (session_ready()) co_return Status::ok();
    co_return co_await reconnect();
  }
  if (!config_.persist) co_return Status(Code::kNotAuthenticated, "not logged in");
  auto saved = load_logged_in(home_, key_policy_);
  if (!saved) co_return saved.status();
  auto identity = crypto::load_keystore_with_data_key(home_.keystore(saved->username),
                                                      saved->username, saved->data_key);
  if (!identity) {
    co_return Status(identity.code(), "cannot open the keystore of '" + saved->username +
                                          "': " + identity.status().message() + "; log in again");
  }
  auto device = device_key_for(saved->username);
  if (!device) co_return device.status();
  device_key_ = std::move(*device);
  // Named first: no temporaries inside a co_await expression (g++ 12).
  AuthRequest request = resume_request(saved->username, std::string(saved->session_token.view()));
  auto ok = co_await authenticate_with(std::move(request));
  if (!ok) {
    device_key_ = crypto::LoginKey();
    if (ok.code() == Code::kSessionExpired) {
      co_return Status(Code::kSessionExpired,
                       "the saved session expired or was revoked; log in again");
    }
    co_return ok.status();
  }
  data_key_ = std::move(saved->data_key);
  if (Status s =
          start_session(saved->username, std::make_unique<crypto::Identity>(std::move(*identity)),
                        std::move(saved->session_token), ok->acked_seq(), false);
      !s) {
    co_return s;
  }
  // Publishes only when this device has none yet (an account from before v2) or the
  // signed prekey is due: a one-shot command costs no extra request otherwise.
  co_await maintain_prekeys_logged(false);
  co_return Status::ok();
}

asio::awaitable<Status> Client::Impl::unlock(crypto::SecretBytes password) {
  if (!config_.persist) co_return Status(Code::kNotAuthenticated, "not logged in");
  auto guard = co_await inbox_lock_.lock();
  auto saved = load_session(home_.session_file());
  if (!saved) {
    if (saved.code() != Code::kNotFound) co_return saved.status();
    co_return Status(Code::kNotAuthenticated, "not logged in: nothing to unlock");
  }
  if (Status s = check_data_key_store(key_policy_); !s) co_return s;
  const std::string name = saved->username;
  auto keys = co_await derive_keys(name, std::move(password));
  auto data_key = crypto::unwrap_data_key(home_.keystore(name), name, keys.storage_key);
  if (!data_key) {
    if (data_key.code() != Code::kCrypto) co_return data_key.status();
    co_return Status(Code::kAuthFailed,
                     "wrong password for '" + name + "' (" + data_key.status().message() + ")");
  }
  if (Status s = save_logged_in(home_, std::move(*saved), *data_key, key_policy_); !s) co_return s;
  spdlog::info("unlocked the keys of '{}'", name);
  co_return Status::ok();
}

asio::awaitable<Status> Client::Impl::revoke_saved_token(const SavedSession& saved) {
  auto device = device_key_for(saved.username);
  if (!device) co_return device.status();
  device_key_ = std::move(*device);
  AuthRequest request = resume_request(saved.username, std::string(saved.session_token.view()));
  auto ok = co_await authenticate_with(std::move(request));
  Status result = ok.status();
  if (ok) {
    wire::Frame frame;
    frame.mutable_logout();
    auto conn = conn_;
    auto reply = co_await conn->request(std::move(frame));
    result = reply.status();
  }
  device_key_ = crypto::LoginKey();
  co_return result;
}

asio::awaitable<Status> Client::Impl::logout() {
  std::string saved_user;
  if (username_.empty() && config_.persist) {
    if (auto saved = load_session(home_.session_file())) {
      saved_user = saved->username;
      // Resumed to revoke the saved token on the server too; locked keys do not stop it.
      const Status resumed = co_await resume();
      if (resumed.code() == Code::kKeysLocked) {
        if (Status s = co_await revoke_saved_token(*saved); !s) {
          spdlog::warn("could not revoke the session on the server: {}", s.to_string());
        }
      }
    }
  }
  auto guard = co_await inbox_lock_.lock();
  Status result;
  if (!username_.empty()) {
    if (Status s = co_await ensure_session(); !s) {
      result = s;
    } else {
      wire::Frame frame;
      frame.mutable_logout();
      auto conn = conn_;
      auto reply = co_await conn->request(std::move(frame));
      result = reply.status();
    }
    spdlog::info("logged out '{}'", username_);
  }
  stop_requested_ = true;
  if (conn_) conn_->close();
  if (config_.persist) {
    const std::string user = username_.empty() ? saved_user : username_;
    Status forgotten =
        user.empty() ? wipe_session(home_.session_file()) : forget_logged_in(home_, user);
    if (!forgotten && result) result = forgotten;
  }
  end_session();
  co_return result;
}

asio::awaitable<Status> Client::Impl::change_password(crypto::SecretBytes current,
                                                      crypto::SecretBytes next) {
  if (next.empty()) co_return Status(Code::kBadRequest, "the new password is empty");
  // A modified client can skip this (only its own user is hurt): the server never sees it.
  if (Status s = check_password_strength(next.view(), username_); !s) co_return s;
  if (Status s = co_await ensure_session(); !s) co_return s;
  auto guard = co_await inbox_lock_.lock();
  const std::string name = username_;
  if (name.empty() || !identity_) co_return Status(Code::kNotAuthenticated, "not logged in");
  auto old_keys = co_await derive_keys(name, std::move(current));
  auto new_keys = co_await derive_keys(name, std::move(next));
  // Staged like a registration's: the keystore is replaced only once the server agreed.
  const std::string keystore = home_.keystore(name);
  const std::string staged = keystore + ".new";
  crypto::SecretBytes data_key;
  if (config_.persist) {
    if (!crypto::load_keystore(keystore, name, old_keys.storage_key)) {
      co_return Status(Code::kAuthFailed, "the current password is wrong");
    }
    if (Status s = crypto::save_keystore(staged, name, *identity_, new_keys.storage_key, &data_key);
        !s) {
      co_return s;
    }
  }
  auto conn = conn_;
  if (!conn || !conn->is_open()) co_return Status(Code::kUnavailable, "not connected");
  const auto current_key = crypto::login_key_from_seed(old_keys.login_seed);
  const auto next_key = crypto::login_key_from_seed(new_keys.login_seed);
  wire::Frame frame;
  auto* change = frame.mutable_change_login_key();
  change->set_new_login_public_key(next_key.public_key);
  change->set_proof(crypto::sign_key_change(current_key, name, conn->login_nonce(),
                                            conn->channel_binding(), next_key.public_key));
  auto reply = co_await conn->request(std::move(frame));
  if (!reply) {
    if (config_.persist) std::remove(staged.c_str());
    co_return reply.status();
  }
  if (config_.persist) {
    if (std::rename(staged.c_str(), keystore.c_str()) != 0) {
      co_return Status(Code::kIo, "the password changed on the server, but the keystore is at " +
                                      staged + ": rename it to " + keystore);
    }
    data_key_ = std::move(data_key);
    // The old data key no longer opens the keystore: the keyring's copy is replaced.
    if (Status s = save_session_file_now(); !s) {
      co_return Status(s.code(), "the password changed, but the session could not be saved (" +
                                     s.message() + "); unlock or log in again with the new one");
    }
  }
  spdlog::info("changed the password of '{}'", name);
  co_return Status::ok();
}

asio::awaitable<Status> Client::Impl::resume_connection() {
  if (username_.empty() || token_.empty()) {
    co_return Status(Code::kNotAuthenticated, "not logged in");
  }
  AuthRequest request = resume_request(username_, std::string(token_.view()));
  auto ok = co_await authenticate_with(std::move(request));
  if (!ok) co_return ok.status();
  if (username_.empty()) co_return Status(Code::kNotAuthenticated, "logged out meanwhile");
  authenticated_ = true;
  if (config_.persist && !key_policy_.in_file) {
    // In use: the keyring's data key (if it is still there) stays for the idle timeout.
    (void)crypto::kernel_keyring::load(data_key_name(home_.home(), username_),
                                       key_policy_.idle_timeout);
  }
  need_sync_ = true;
  spdlog::info("reconnected to {} as '{}'", config_.server.to_string(), username_);
  if (events_.on_connection) events_.on_connection(true);
  if (!watched_.empty()) {
    // The server forgets watches with the connection.
    wire::Frame watch;
    for (const auto& user : watched_)
      watch.mutable_watch_presence()->add_usernames(user);
    auto conn = conn_;
    auto reply = co_await conn->request(std::move(watch));
    if (reply && reply->has_presence_list() && events_.on_presence) {
      for (const auto& p : reply->presence_list().presence())
        events_.on_presence(UserInfo{p.username(), p.online()});
    }
  }
  co_return Status::ok();
}

asio::awaitable<Status> Client::Impl::reconnect() {
  if (reconnecting_) {
    while (reconnecting_)
      co_await session_changed_.wait(kWaitForReconnect);
    co_return session_ready() ? Status::ok() : Status(Code::kUnavailable, "not connected");
  }
  reconnecting_ = true;
  Status status = co_await resume_connection();
  reconnecting_ = false;
  session_changed_.notify();
  run_wake_.notify();
  co_return status;
}

asio::awaitable<Status> Client::Impl::ensure_session() {
  if (session_ready()) co_return Status::ok();
  if (username_.empty()) co_return Status(Code::kNotAuthenticated, "not logged in");
  if (running_ && !stop_requested_) {
    // run() is reconnecting; wait for it rather than racing it.
    const auto deadline = std::chrono::steady_clock::now() + kWaitForReconnect;
    while (!session_ready() && running_ && !stop_requested_ && !username_.empty()) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) break;
      co_await session_changed_.wait(deadline - now);
    }
    if (session_ready()) co_return Status::ok();
    if (username_.empty()) co_return Status(Code::kNotAuthenticated, "not logged in");
    if (running_ && !stop_requested_) {
      co_return Status(Code::kUnavailable,
                       "not connected to " + config_.server.to_string() + "; still trying");
    }
  }
  co_return co_await reconnect();
}

asio::awaitable<Result<wire::Frame>> Client::Impl::call(wire::Frame frame) {
  if (Status s = co_await ensure_session(); !s) co_return s;
  auto conn = conn_;
  co_return co_await conn->request(std::move(frame));
}

asio::awaitable<void> Client::Impl::run() {
  if (running_) co_return;
  if (username_.empty()) {
    spdlog::warn("run(): not logged in");
    co_return;
  }
  running_ = true;
  stop_requested_ = false;
  need_sync_ = true;
  // Pushes that can no longer be processed end the run: its caller sees it return.
  spawn_supervised(executor_, process_pushes(), "push processing", client_task_failures(),
                   [this] { stop(); });
  std::chrono::milliseconds backoff = kMinBackoff;
  while (!stop_requested_ && !username_.empty()) {
    if (!session_ready()) {
      Status s = co_await reconnect();
      if (stop_requested_) break;
      if (!s) {
        if (s.code() == Code::kAuthFailed || s.code() == Code::kNotAuthenticated ||
            s.code() == Code::kSessionExpired) {
          spdlog::error("cannot resume the session: {}; log in again", s.to_string());
          break;
        }
        spdlog::info("reconnecting to {} failed: {}", config_.server.to_string(), s.to_string());
        co_await run_wake_.wait(with_jitter(backoff));
        backoff = std::min(backoff * 2, std::chrono::milliseconds(kMaxBackoff));
        continue;
      }
      backoff = kMinBackoff;
    }
    if (need_sync_) {
      need_sync_ = false;
      auto synced = co_await sync_inbox();
      if (!synced) {
        need_sync_ = true;
        spdlog::info("sync failed: {}", synced.status().to_string());
        if (session_ready()) {
          co_await run_wake_.wait(with_jitter(backoff));
          backoff = std::min(backoff * 2, std::chrono::milliseconds(kMaxBackoff));
        }
        continue;
      }
    }
    if (session_ready() && receipts_pending() && !sending_receipts_) {
      // Kept for later (a first contact being set up answers at once): trying again at
      // once would spin on this executor and starve the very setup it waits for.
      const bool all_sent = co_await send_receipts();
      if (!all_sent) co_await run_wake_.wait(with_jitter(kMinBackoff));
      continue;  // more may have been queued meanwhile (a wake-up without a waiter is lost)
    }
    if (session_ready() && !need_sync_ && !stop_requested_) {
      co_await run_wake_.wait(std::chrono::hours(1));
    }
  }
  running_ = false;
  push_wake_.notify();
  while (processor_running_)
    co_await processor_done_.wait(std::chrono::seconds(1));
}

void Client::Impl::stop() {
  stop_requested_ = true;
  run_wake_.notify();
  push_wake_.notify();
  session_changed_.notify();
  if (conn_) conn_->close();
}

}  // namespace fastchat::client
