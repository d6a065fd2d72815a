// Client::Impl, sessions a user controls (DESIGN §5): the device key a session is bound
// to, and listing and revoking the user's sessions. See client_impl.h.
#include <unistd.h>

#include <climits>

#include "client/client_impl.h"
#include "crypto/device_key.h"

namespace fastchat::client {

Result<crypto::LoginKey> Client::Impl::device_key_for(const std::string& username) {
  if (config_.persist) {
    if (Status s = make_private_dirs(home_.user_dir(username)); !s) return s;
    return crypto::load_or_create_device_key(home_.device_key(username));
  }
  auto it = memory_device_seeds_.find(username);
  if (it == memory_device_seeds_.end()) {
    crypto::LoginKey fresh = crypto::new_device_key();
    it = memory_device_seeds_
             .emplace(username, crypto::SecretBytes(fresh.secret_key.view().substr(0, 32)))
             .first;
  }
  return crypto::login_key_from_seed(it->second);
}

std::string Client::Impl::device_name() const {
  std::string name = config_.device_name;
  if (name.empty()) {
    char host[HOST_NAME_MAX + 1] = {};
    name = "fastchat on ";
    name += gethostname(host, sizeof host - 1) == 0 && host[0] != '\0' ? host : "an unnamed host";
  }
  // At most kMaxDeviceNameBytes, cut at a UTF-8 character boundary.
  std::size_t cut = std::min(name.size(), crypto::kMaxDeviceNameBytes);
  while (cut > 0 && cut < name.size() && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80)
    --cut;
  name.resize(cut);
  return name;
}

Client::Impl::AuthRequest Client::Impl::resume_request(const std::string& username,
                                                       std::string token) {
  return [this, username, token = std::move(token)](const Connection& conn) {
    wire::Frame frame;
    auto* resume = frame.mutable_resume();
    resume->set_username(username);
    resume->set_session_token(token);
    resume->set_device_signature(
        crypto::sign_resume(device_key_, username, conn.login_nonce(), conn.channel_binding()));
    return frame;
  };
}

asio::awaitable<Result<std::vector<SessionInfo>>> Client::Impl::list_sessions() {
  wire::Frame frame;
  frame.mutable_list_sessions();
  auto reply = co_await call(std::move(frame));
  if (!reply) co_return reply.status();
  if (!reply->has_session_list()) co_return Status(Code::kBadRequest, "expected SessionList");
  std::vector<SessionInfo> sessions;
  for (const auto& s : reply->session_list().sessions()) {
    SessionInfo info;
    info.session_id = s.session_id();
    info.device_id = s.device_id();
    info.device_name = s.device_name();
    info.created_ms = static_cast<std::int64_t>(std::min<std::uint64_t>(s.created_ms(), INT64_MAX));
    info.last_used_ms =
        static_cast<std::int64_t>(std::min<std::uint64_t>(s.last_used_ms(), INT64_MAX));
    info.current = s.current();
    info.connected = s.connected();
    sessions.push_back(std::move(info));
  }
  co_return sessions;
}

asio::awaitable<Result<std::size_t>> Client::Impl::revoke_sessions(std::uint32_t session_id,
                                                                   bool all_others) {
  wire::Frame frame;
  frame.mutable_revoke_session()->set_session_id(session_id);
  frame.mutable_revoke_session()->set_all_others(all_others);
  auto reply = co_await call(std::move(frame));
  if (!reply) co_return reply.status();
  if (!reply->has_sessions_revoked())
    co_return Status(Code::kBadRequest, "expected SessionsRevoked");
  co_return static_cast<std::size_t>(reply->sessions_revoked().revoked());
}

}  // namespace fastchat::client
