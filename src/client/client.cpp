// The Client facade: forwards to Client::Impl (client_impl.h).
#include "client/client.h"

#include <spdlog/spdlog.h>

#include "client/client_impl.h"
#include "common/username.h"
#include "crypto/sodium_init.h"

namespace fastchat::client {

Client::Impl::Impl(asio::any_io_executor executor, ClientConfig config)
    : executor_(executor),
      config_(std::move(config)),
      home_(config_.home_dir),
      key_policy_(data_key_policy_from_environment()),
      session_changed_(executor),
      run_wake_(executor),
      push_wake_(executor),
      processor_done_(executor),
      inbox_lock_(executor),
      session_setup_lock_(executor) {
  crypto::ensure_sodium();
  if (config_.key_idle_timeout) key_policy_.idle_timeout = *config_.key_idle_timeout;
  if (config_.data_key_in_file) key_policy_.in_file = *config_.data_key_in_file;
  if (!config_.insecure_plaintext) {
    auto tls = tls::ClientTls::create(config_.ca_file);
    if (tls) {
      tls_ = std::move(*tls);
      trust_ = std::make_shared<tls::ServerTrust>(
          config_.persist && !config_.home_dir.empty() ? home_.known_hosts() : std::string(),
          !config_.ca_file.empty());
    } else {
      tls_status_ = tls.status();
    }
  }
}

Client::Impl::~Impl() {
  if (conn_) {
    conn_->set_close_handler(nullptr);
    conn_->set_push_handler(nullptr);
    conn_->close();
  }
}

Client::Client(asio::any_io_executor executor, ClientConfig config)
    : impl_(std::make_unique<Impl>(std::move(executor), std::move(config))) {}

Client::~Client() = default;

void Client::set_events(ClientEvents events) {
  impl_->events_ = std::move(events);
}

asio::awaitable<Status> Client::register_account(std::string_view username,
                                                 std::string_view password) {
  return impl_->register_account(std::string(username), crypto::SecretBytes(password));
}

asio::awaitable<Status> Client::login(std::string_view username, std::string_view password) {
  return impl_->login(std::string(username), crypto::SecretBytes(password));
}

asio::awaitable<Status> Client::resume() {
  return impl_->resume();
}

asio::awaitable<Status> Client::unlock(std::string_view password) {
  return impl_->unlock(crypto::SecretBytes(password));
}

asio::awaitable<Status> Client::change_password(std::string_view current, std::string_view next) {
  return impl_->change_password(crypto::SecretBytes(current), crypto::SecretBytes(next));
}

asio::awaitable<Status> Client::logout() {
  return impl_->logout();
}

const std::string& Client::username() const {
  return impl_->username_;
}

std::uint32_t Client::device_id() const {
  return impl_->username_.empty() ? 0 : impl_->device_id_;
}

std::string Client::saved_user(const std::string& home_dir) {
  auto session = load_session(HomeLayout(home_dir).session_file());
  return session ? session->username : std::string();
}

asio::awaitable<Result<std::vector<SessionInfo>>> Client::list_sessions() {
  return impl_->list_sessions();
}

asio::awaitable<Result<std::size_t>> Client::revoke_session(std::uint32_t session_id) {
  return impl_->revoke_sessions(session_id, false);
}

asio::awaitable<Result<std::size_t>> Client::revoke_other_sessions() {
  return impl_->revoke_sessions(0, true);
}

asio::awaitable<Result<std::vector<UserInfo>>> Client::list_users(std::string_view pattern) {
  return impl_->list_users(std::string(pattern));
}

asio::awaitable<Result<std::vector<UserInfo>>> Client::watch_presence(
    std::vector<std::string> users) {
  return impl_->watch_presence(std::move(users));
}

asio::awaitable<Result<std::string>> Client::fingerprint(std::string_view username) {
  return impl_->fingerprint(std::string(username));
}

asio::awaitable<Result<ContactTrust>> Client::contact_trust(std::string_view username) {
  return impl_->contact_trust(std::string(username), Impl::TrustAction::kShow);
}

asio::awaitable<Result<ContactTrust>> Client::confirm_contact(std::string_view username) {
  return impl_->contact_trust(std::string(username), Impl::TrustAction::kConfirm);
}

asio::awaitable<Result<ContactTrust>> Client::accept_new_identity(std::string_view username,
                                                                  bool confirm) {
  return impl_->contact_trust(std::string(username), confirm ? Impl::TrustAction::kAcceptNewVerified
                                                             : Impl::TrustAction::kAcceptNew);
}

asio::awaitable<Result<ChatMessage>> Client::send_text(std::string_view to_user,
                                                       std::string_view text) {
  return impl_->send_text(std::string(to_user), std::string(text));
}

asio::awaitable<Result<ChatMessage>> Client::send_group_text(GroupId group, std::string_view text) {
  return impl_->send_group_text(group, std::string(text));
}

asio::awaitable<Result<ChatMessage>> Client::send_file(std::string_view to_user,
                                                       const std::string& path) {
  return impl_->send_file(std::string(to_user), path);
}

asio::awaitable<Result<ChatMessage>> Client::send_group_file(GroupId group,
                                                             const std::string& path) {
  return impl_->send_group_file(group, path);
}

asio::awaitable<Result<std::size_t>> Client::sync() {
  if (Status s = co_await impl_->ensure_session(); !s) co_return s;
  auto shown = co_await impl_->sync_inbox();
  co_await impl_->send_receipts();
  co_return shown;
}

Result<std::vector<ChatMessage>> Client::history(std::string_view peer, GroupId group,
                                                 std::size_t limit, std::size_t skip_newest) const {
  if (!impl_->history_) return Status(Code::kNotAuthenticated, "not logged in");
  std::string who;
  if (group == 0) {
    auto name = normalize_username(peer);
    if (!name) return Status(Code::kInvalidUsername, "not a valid username");
    who = *name;
  }
  return impl_->history_->conversation(who, group, limit, skip_newest);
}

Result<std::vector<ChatMessage>> Client::conversations(std::size_t limit) const {
  if (!impl_->history_) return Status(Code::kNotAuthenticated, "not logged in");
  return impl_->history_->latest_per_conversation(limit);
}

asio::awaitable<Result<GroupInfo>> Client::create_group(std::string_view name,
                                                        std::vector<std::string> members) {
  return impl_->create_group(std::string(name), std::move(members));
}

asio::awaitable<Result<GroupInfo>> Client::add_member(GroupId group, std::string_view user) {
  auto canonical = normalize_username(user);
  if (!canonical) co_return Status(Code::kInvalidUsername, "not a valid username");
  co_return co_await impl_->change_membership(group, crypto::MembershipAction::kAdd, *canonical);
}

asio::awaitable<Result<GroupInfo>> Client::remove_member(GroupId group, std::string_view user) {
  auto canonical = normalize_username(user);
  if (!canonical) co_return Status(Code::kInvalidUsername, "not a valid username");
  // Removing oneself is leaving.
  const auto action = *canonical == impl_->username_ ? crypto::MembershipAction::kLeave
                                                     : crypto::MembershipAction::kRemove;
  co_return co_await impl_->change_membership(group, action, *canonical);
}

asio::awaitable<Status> Client::leave_group(GroupId group) {
  auto left =
      co_await impl_->change_membership(group, crypto::MembershipAction::kLeave, impl_->username_);
  co_return left.status();
}

asio::awaitable<Result<std::vector<GroupInfo>>> Client::list_groups() {
  return impl_->list_groups();
}

asio::awaitable<Result<GroupInfo>> Client::get_group(GroupId group) {
  auto verified = co_await impl_->verified_group(group);
  if (!verified) co_return verified.status();
  co_return std::move(verified->info);
}

Result<std::vector<MembershipEvent>> Client::membership_events(GroupId group,
                                                               std::size_t limit) const {
  if (!impl_->history_) return Status(Code::kNotAuthenticated, "not logged in");
  return impl_->history_->membership_events(group, limit);
}

asio::awaitable<Status> Client::block(std::string_view user) {
  return impl_->set_blocked(std::string(user), true);
}

asio::awaitable<Status> Client::unblock(std::string_view user) {
  return impl_->set_blocked(std::string(user), false);
}

asio::awaitable<Result<std::vector<std::string>>> Client::list_blocked() {
  return impl_->list_blocked();
}

asio::awaitable<Result<GroupId>> Client::resolve_group(std::string_view name_or_id) {
  return impl_->resolve_group(std::string(name_or_id));
}

asio::awaitable<void> Client::run() {
  return impl_->run();
}

void Client::stop() {
  impl_->stop();
}

bool Client::connected() const {
  return impl_->session_ready();
}

}  // namespace fastchat::client
