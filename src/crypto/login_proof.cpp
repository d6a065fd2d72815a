#include "crypto/login_proof.h"

#include <sodium.h>

#include "crypto/bytes.h"
#include "crypto/sodium_init.h"

namespace fastchat::crypto {

namespace {

constexpr std::string_view kContext = "fastchat/login/v2";
constexpr std::size_t kMaxField = 255;

// The signed bytes; empty when a field is too long to be framed by one length byte.
std::string signed_message(std::string_view username, std::string_view nonce,
                           std::string_view channel_binding) {
  if (username.size() > kMaxField || channel_binding.size() > kMaxField) return {};
  std::string message;
  message.reserve(kContext.size() + 2 + username.size() + nonce.size() + channel_binding.size());
  message.append(kContext);
  message.push_back(static_cast<char>(username.size()));
  message.append(username);
  message.append(nonce);
  message.push_back(static_cast<char>(channel_binding.size()));
  message.append(channel_binding);
  return message;
}

}  // namespace

LoginKey login_key_from_seed(const SecretBytes& seed) {
  ensure_sodium();
  detail::require(seed.size() == crypto_sign_SEEDBYTES, "login seed of 32 bytes");
  LoginKey key;
  key.public_key.resize(crypto_sign_PUBLICKEYBYTES);
  key.secret_key = SecretBytes(crypto_sign_SECRETKEYBYTES);
  crypto_sign_seed_keypair(detail::u8(key.public_key), key.secret_key.data(), seed.data());
  return key;
}

std::string new_login_nonce() {
  ensure_sodium();
  std::string nonce(kLoginNonceBytes, '\0');
  randombytes_buf(nonce.data(), nonce.size());
  return nonce;
}

std::string sign_login(const LoginKey& key, std::string_view username, std::string_view nonce,
                       std::string_view channel_binding) {
  detail::require(key.secret_key.size() == crypto_sign_SECRETKEYBYTES, "a login key");
  const std::string message = signed_message(username, nonce, channel_binding);
  detail::require(!message.empty(), "username and channel binding of at most 255 bytes");
  std::string signature(crypto_sign_BYTES, '\0');
  crypto_sign_detached(detail::u8(signature), nullptr, detail::u8(message), message.size(),
                       key.secret_key.data());
  return signature;
}

bool verify_login(std::string_view public_key, std::string_view signature,
                  std::string_view username, std::string_view nonce,
                  std::string_view channel_binding) {
  ensure_sodium();
  if (public_key.size() != crypto_sign_PUBLICKEYBYTES || signature.size() != crypto_sign_BYTES ||
      nonce.size() != kLoginNonceBytes) {
    return false;
  }
  const std::string message = signed_message(username, nonce, channel_binding);
  if (message.empty()) return false;
  return crypto_sign_verify_detached(detail::u8(signature), detail::u8(message), message.size(),
                                     detail::u8(public_key)) == 0;
}

}  // namespace fastchat::crypto
