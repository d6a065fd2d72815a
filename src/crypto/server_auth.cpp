#include "crypto/server_auth.h"

#include <sodium.h>

#include "crypto/bytes.h"
#include "crypto/file_io.h"
#include "crypto/kdf.h"
#include "crypto/sodium_init.h"

namespace fastchat::crypto {

namespace {

using detail::u8;

constexpr std::size_t kSecretBytes = 32;
constexpr std::size_t kTokenBytes = 32;
constexpr std::size_t kHashBytes = 32;
constexpr std::size_t kMaxUsername = 255;  // its length is one byte of the verifier input
// Token hashes and verifiers share the key; a prefix keeps their inputs apart.
constexpr std::string_view kTokenContext = "fastchat/session-token/v1";
constexpr std::string_view kKeyVerifierContext = "fastchat/server-key-verifier/v1";
constexpr std::string_view kTlsTicketContext = "fastchat/tls-ticket-secret/v1";

class KeyedHash {
 public:
  explicit KeyedHash(const SecretBytes& key) {
    crypto_generichash_init(&state_, key.data(), key.size(), kHashBytes);
  }
  ~KeyedHash() { sodium_memzero(&state_, sizeof state_); }
  KeyedHash(const KeyedHash&) = delete;
  KeyedHash& operator=(const KeyedHash&) = delete;

  void update(std::string_view bytes) {
    crypto_generichash_update(&state_, u8(bytes), bytes.size());
  }
  std::string finish() {
    std::string out(kHashBytes, '\0');
    crypto_generichash_final(&state_, detail::u8(out), out.size());
    return out;
  }

 private:
  crypto_generichash_state state_;
};

Result<SecretBytes> read_secret(const std::string& path) {
  auto secret = detail::read_private_file(path, kSecretBytes);
  if (secret && secret->size() != kSecretBytes) {
    return Status(Code::kIo,
                  path + " is not a " + std::to_string(kSecretBytes) + "-byte server key");
  }
  return secret;
}

}  // namespace

ServerAuth::ServerAuth(SecretBytes secret) : secret_(std::move(secret)) {
  ensure_sodium();
  // An empty key would silently make every hash unkeyed.
  detail::require(secret_.size() == kSecretBytes, "ServerAuth needs a 32-byte secret");
}

Result<SecretBytes> ServerAuth::load_or_create_secret(const std::string& path) {
  ensure_sodium();
  auto existing = read_secret(path);
  // Only a missing file is replaced: an unreadable one is an error, never a new key
  // (that would lock every account out).
  if (existing.code() != Code::kNotFound) return existing;

  SecretBytes secret(kSecretBytes);
  randombytes_buf(secret.data(), secret.size());
  auto created = detail::create_private_file(path, secret.view());
  if (!created) return created.status();
  if (*created) return secret;
  // Another process (a second server on the same data dir) created it first: use its key.
  return read_secret(path);
}

std::string ServerAuth::auth_verifier(std::string_view username, std::string_view auth_key) const {
  detail::require(username.size() <= kMaxUsername, "username too long for a verifier");
  KeyedHash hash(secret_);
  const char length = static_cast<char>(username.size());
  hash.update(std::string_view(&length, 1));
  hash.update(username);
  hash.update(auth_key);
  return hash.finish();
}

namespace {

bool same_hash(std::string_view expected, std::string_view stored) {
  return stored.size() == expected.size() &&
         sodium_memcmp(expected.data(), stored.data(), expected.size()) == 0;
}

}  // namespace

bool ServerAuth::check_auth_key(std::string_view username, std::string_view auth_key,
                                std::string_view stored_verifier) const {
  if (username.size() > kMaxUsername) return false;
  return same_hash(auth_verifier(username, auth_key), stored_verifier);
}

std::string ServerAuth::new_session_token() {
  ensure_sodium();
  std::string token(kTokenBytes, '\0');
  randombytes_buf(token.data(), token.size());
  return token;
}

std::string ServerAuth::token_hash(std::string_view token) const {
  KeyedHash hash(secret_);
  hash.update(kTokenContext);
  hash.update(token);
  return hash.finish();
}

std::string ServerAuth::key_verifier() const {
  KeyedHash hash(secret_);
  hash.update(kKeyVerifierContext);
  return hash.finish();
}

bool ServerAuth::is_own_key_verifier(std::string_view recorded) const {
  return same_hash(key_verifier(), recorded);
}

SecretBytes ServerAuth::tls_ticket_secret() const {
  return hkdf_sha256({}, secret_.view(), kTlsTicketContext, kSecretBytes);
}

}  // namespace fastchat::crypto
