#include "crypto/server_auth.h"

#include <sodium.h>

#include <fstream>
#include <iterator>

#include "crypto/keystore.h"
#include "crypto/sodium_init.h"

namespace fastchat::crypto {

namespace {
constexpr std::size_t kSecretBytes = 32;
constexpr std::size_t kTokenBytes = 32;
}  // namespace

ServerAuth::ServerAuth(SecretBytes secret) : secret_(std::move(secret)) {
  ensure_sodium();
}

Result<SecretBytes> ServerAuth::load_or_create_secret(const std::string& path) {
  ensure_sodium();
  std::ifstream in(path, std::ios::binary);
  if (in) {
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    SecretBytes secret(bytes);
    sodium_memzero(bytes.data(), bytes.size());
    if (secret.size() != kSecretBytes) {
      return Status(Code::kIo, path + " is not a 32-byte server key");
    }
    return secret;
  }
  SecretBytes secret(kSecretBytes);
  randombytes_buf(secret.data(), secret.size());
  if (Status written = write_private_file(path, secret.view()); !written) return written;
  return secret;
}

std::string ServerAuth::auth_verifier(std::string_view username, std::string_view auth_key) const {
  unsigned char out[32];
  crypto_generichash_state state;
  crypto_generichash_init(&state, secret_.data(), secret_.size(), sizeof out);
  const unsigned char length = static_cast<unsigned char>(username.size());
  crypto_generichash_update(&state, &length, 1);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(username.data()),
                            username.size());
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(auth_key.data()),
                            auth_key.size());
  crypto_generichash_final(&state, out, sizeof out);
  return std::string(reinterpret_cast<const char*>(out), sizeof out);
}

bool ServerAuth::check_auth_key(std::string_view username, std::string_view auth_key,
                                std::string_view stored_verifier) const {
  const std::string expected = auth_verifier(username, auth_key);
  return stored_verifier.size() == expected.size() &&
         sodium_memcmp(expected.data(), stored_verifier.data(), expected.size()) == 0;
}

std::string ServerAuth::new_session_token() {
  ensure_sodium();
  std::string token(kTokenBytes, '\0');
  randombytes_buf(token.data(), token.size());
  return token;
}

std::string ServerAuth::token_hash(std::string_view token) const {
  unsigned char out[32];
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(token.data()),
                     token.size(), nullptr, 0);
  return std::string(reinterpret_cast<const char*>(out), sizeof out);
}

}  // namespace fastchat::crypto
