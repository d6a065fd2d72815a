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
  // `secret` is the server's 32-byte key (data dir file, or shared by a cluster: every
  // server of a cluster needs the same one). Any other size is a bug and aborts.
  explicit ServerAuth(SecretBytes secret);

  // Loads the key from `path`, creating a random one (mode 0600) only if the file does
  // not exist; concurrent starts agree on one key. kIo when the file cannot be read or
  // does not hold exactly 32 bytes (it is then left alone).
  static Result<SecretBytes> load_or_create_secret(const std::string& path);

  // BLAKE2b-256 keyed with the server secret over (len(username) || username || auth_key).
  // `username` is canonical (at most 255 bytes; longer aborts).
  std::string auth_verifier(std::string_view username, std::string_view auth_key) const;
  // Constant-time check of auth_key against a stored verifier.
  bool check_auth_key(std::string_view username, std::string_view auth_key,
                      std::string_view stored_verifier) const;

  // A fresh random session token (32 bytes) and the hash under which it is stored:
  // BLAKE2b-256 keyed with the server secret over ("fastchat/session-token/v1" || token).
  static std::string new_session_token();
  std::string token_hash(std::string_view token) const;

  // What a database records to tell which key its hashes are keyed with (a cluster
  // must share one): BLAKE2b-256 keyed with the secret over a fixed label. It reveals
  // nothing about the key. is_own_key_verifier compares in constant time.
  std::string key_verifier() const;
  bool is_own_key_verifier(std::string_view recorded) const;

  // The secret of the cluster's TLS session tickets: HKDF-SHA256 of the server key
  // with its own label (32 bytes), so every server of a cluster resumes the others'
  // sessions and the ticket keys reveal nothing about the server key.
  SecretBytes tls_ticket_secret() const;

 private:
  SecretBytes secret_;
};

}  // namespace fastchat::crypto
