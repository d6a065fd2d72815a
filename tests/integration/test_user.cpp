#include "test_user.h"

#include <sodium.h>

#include "client/content.h"
#include "crypto/device_key.h"
#include "crypto/password.h"
#include "crypto/sodium_init.h"

namespace fastchat::itest {

TestUser TestUser::create(std::string name, std::string password) {
  crypto::ensure_sodium();
  TestUser user;
  const auto keys = crypto::derive_password_keys(name, password);
  user.auth_key_ = std::string(keys.auth_key.view());
  user.storage_key_ = std::string(keys.storage_key.view());
  user.login_seed_ = std::string(keys.login_seed.view());
  user.name_ = std::move(name);
  user.password_ = std::move(password);
  user.identity_ = std::make_unique<crypto::Identity>(crypto::Identity::generate());
  return user;
}

TestUser TestUser::quick(std::string name) {
  crypto::ensure_sodium();
  TestUser user;
  user.name_ = std::move(name);
  user.auth_key_.resize(32);
  randombytes_buf(user.auth_key_.data(), user.auth_key_.size());
  user.login_seed_.resize(32);
  randombytes_buf(user.login_seed_.data(), user.login_seed_.size());
  user.identity_ = std::make_unique<crypto::Identity>(crypto::Identity::generate());
  return user;
}

crypto::LoginKey TestUser::login_key() const {
  return crypto::login_key_from_seed(crypto::SecretBytes(login_seed_));
}

wire::PublicIdentity TestUser::public_identity() const {
  const auto id = identity_->public_identity(name_);
  wire::PublicIdentity out;
  out.set_sign_public_key(id.sign_public_key);
  out.set_box_public_key(id.box_public_key);
  out.set_signature(id.signature);
  return out;
}

const crypto::SharedKey& TestUser::shared_key(const TestUser& peer) const {
  auto& slot = shared_[peer.name()];
  if (!slot) {
    auto key =
        crypto::SharedKey::derive(peer.identity().box_public_key(), identity_->box_secret_key());
    slot = std::make_unique<crypto::SharedKey>(std::move(key).value());
  }
  return *slot;
}

std::string TestUser::seal_text(const TestUser& to, const MessageId& id,
                                std::string_view text) const {
  auto content = client::make_content(id, name_, to.name(), 0, 0);
  content.set_text(std::string(text));
  return client::seal_direct_content(shared_key(to), content);
}

Result<std::string> TestUser::open_text(const TestUser& from,
                                        const wire::InboxMessage& item) const {
  auto content = client::open_content(shared_key(from), item, name_);
  if (!content) return content.status();
  return content->text();
}

const crypto::LoginKey& test_device_key() {
  static const crypto::LoginKey key = crypto::new_device_key();
  return key;
}

wire::Frame register_frame(const TestUser& user) {
  wire::Frame frame;
  auto* request = frame.mutable_register_();
  request->set_username(user.name());
  request->set_login_public_key(user.login_key().public_key);
  request->set_device_public_key(test_device_key().public_key);
  request->set_device_name(std::string(kTestDeviceName));
  *request->mutable_identity() = user.public_identity();
  return frame;
}

wire::Frame login_frame(const TestUser& user, std::string_view nonce,
                        std::string_view channel_binding) {
  const auto key = user.login_key();
  wire::Frame frame;
  auto* login = frame.mutable_login();
  login->set_username(user.name());
  login->set_login_public_key(key.public_key);
  login->set_login_signature(crypto::sign_login(key, user.name(), nonce, channel_binding));
  login->set_device_public_key(test_device_key().public_key);
  login->set_device_name(std::string(kTestDeviceName));
  return frame;
}

wire::Frame resume_frame(std::string_view username, std::string_view token,
                         std::string_view device_signature) {
  wire::Frame frame;
  frame.mutable_resume()->set_username(std::string(username));
  frame.mutable_resume()->set_session_token(std::string(token));
  frame.mutable_resume()->set_device_signature(std::string(device_signature));
  return frame;
}

wire::Frame direct_send(const TestUser& from, const TestUser& to, const MessageId& id,
                        std::string_view text) {
  wire::Frame frame;
  auto* send = frame.mutable_send();
  send->set_message_id(id.to_bytes());
  send->set_user(to.name());
  send->set_body(from.seal_text(to, id, text));
  return frame;
}

wire::Frame group_send(const TestUser& from, GroupId group,
                       std::span<const TestUser* const> recipients, const MessageId& id,
                       std::string_view text) {
  std::vector<const crypto::SharedKey*> keys;
  for (const TestUser* to : recipients)
    keys.push_back(&from.shared_key(*to));
  auto content = client::make_content(id, from.name(), "", group, 0);
  content.set_text(std::string(text));
  auto sealed = client::seal_group_content(keys, content);
  wire::Frame frame;
  auto* send = frame.mutable_send();
  send->set_message_id(id.to_bytes());
  send->set_group_id(group);
  send->set_body(std::move(sealed.body));
  for (std::size_t i = 0; i < recipients.size(); ++i) {
    auto* wrap = send->add_key_wraps();
    wrap->set_username(recipients[i]->name());
    wrap->set_sealed_key(std::move(sealed.wraps[i]));
  }
  return frame;
}

}  // namespace fastchat::itest
