// Server-side credential handling (DESIGN §5): the server stores a keyed hash of
// the client's auth_key and of each session token, never the values themselves.
// Thread-safe (immutable after construction).
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/secret.h"

namespace fastchat::crypto {

class ServerAuth {
 public:
  // `secret` is the server's 32-byte key (data dir file, or shared by a cluster).
  explicit ServerAuth(SecretBytes secret);

  // Loads the key from `path`, creating a random one (mode 0600) if missing.
  static Result<SecretBytes> load_or_create_secret(const std::string& path);

  // BLAKE2b-256 keyed with the server secret over (username || auth_key).
  std::string auth_verifier(std::string_view username, std::string_view auth_key) const;
  // Constant-time check of auth_key against a stored verifier.
  bool check_auth_key(std::string_view username, std::string_view auth_key,
                      std::string_view stored_verifier) const;

  // A fresh random session token (32 bytes) and the hash under which it is stored.
  static std::string new_session_token();
  std::string token_hash(std::string_view token) const;

 private:
  SecretBytes secret_;
};

}  // namespace fastchat::crypto
