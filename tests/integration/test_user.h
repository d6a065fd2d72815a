// A test user with real keys: the password-derived auth key (Argon2id, ~100 ms, so
// derive once per user) and an identity key pair, plus sealing helpers that seal
// exactly as the client core does (client/content.h), so real clients can read them.
// Value type; not thread-safe (caches shared keys).
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/message_id.h"
#include "common/status.h"
#include "crypto/envelope.h"
#include "crypto/identity.h"
#include "crypto/login_proof.h"
#include "fastchat.pb.h"

namespace fastchat::itest {

class TestUser {
 public:
  // Derives the keys from `password` (Argon2id). `name` must be canonical.
  static TestUser create(std::string name, std::string password);
  // A random auth key instead of a derived one: for throwaway users.
  static TestUser quick(std::string name);

  const std::string& name() const { return name_; }
  const std::string& password() const { return password_; }
  // What legacy logins sent instead of the password (now only to upgrade an account).
  const std::string& auth_key() const { return auth_key_; }
  // The login key pair (from the password, or random for quick users).
  crypto::LoginKey login_key() const;
  // Never leaves the client.
  const std::string& storage_key() const { return storage_key_; }
  const crypto::Identity& identity() const { return *identity_; }
  // The identity as published (signed for name()).
  wire::PublicIdentity public_identity() const;

  // The shared key with `peer` (cached).
  const crypto::SharedKey& shared_key(const TestUser& peer) const;

  // A direct message to `to`: the sealed envelope of a Content carrying `text`.
  std::string seal_text(const TestUser& to, const MessageId& id, std::string_view text) const;
  // Opens a direct or group inbox item from `from`; the Content's text, or an error.
  Result<std::string> open_text(const TestUser& from, const wire::InboxMessage& item) const;

 private:
  TestUser() = default;

  std::string name_;
  std::string password_;
  std::string auth_key_;
  std::string login_seed_;
  std::string storage_key_;
  std::unique_ptr<crypto::Identity> identity_;
  mutable std::map<std::string, std::unique_ptr<crypto::SharedKey>> shared_;
};

// The device every test user's Register and Login binds its session to (one per test
// process), so that RawClient::resume() can sign for any token of any user.
const crypto::LoginKey& test_device_key();
inline constexpr std::string_view kTestDeviceName = "itest device";

// Frame builders (request_id is set by RawClient::request()).
wire::Frame register_frame(const TestUser& user);
// A Login proving `user` on the connection whose HelloOk gave `nonce`.
wire::Frame login_frame(const TestUser& user, std::string_view nonce,
                        std::string_view channel_binding = {});
// A Resume; `device_signature` from crypto::sign_resume (empty: none).
wire::Frame resume_frame(std::string_view username, std::string_view token,
                         std::string_view device_signature = {});
// A direct Send from `from` to `to` with `text` sealed inside.
wire::Frame direct_send(const TestUser& from, const TestUser& to, const MessageId& id,
                        std::string_view text);
// A group Send from `from` with one key wrap for each of `recipients`.
wire::Frame group_send(const TestUser& from, GroupId group,
                       std::span<const TestUser* const> recipients, const MessageId& id,
                       std::string_view text);

}  // namespace fastchat::itest
