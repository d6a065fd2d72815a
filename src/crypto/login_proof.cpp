#include "crypto/login_proof.h"

#include <sodium.h>

#include "crypto/bytes.h"
#include "crypto/sodium_init.h"

namespace fastchat::crypto {

namespace {

constexpr std::string_view kLoginContext = "fastchat/login/v2";
constexpr std::string_view kKeyChangeContext = "fastchat/change-login-key/v2";
constexpr std::string_view kResumeContext = "fastchat/resume/v1";
constexpr std::size_t kMaxField = 255;

// The signed bytes; empty when a field is too long to be framed by one length byte.
std::string signed_message(std::string_view context, std::string_view username,
                           std::string_view nonce, std::string_view channel_binding,
                           std::string_view extra = {}) {
  if (username.size() > kMaxField || channel_binding.size() > kMaxField) return {};
  std::string message;
  message.reserve(context.size() + 2 + username.size() + nonce.size() + channel_binding.size() +
                  extra.size());
  message.append(context);
  message.push_back(static_cast<char>(username.size()));
  message.append(username);
  message.append(nonce);
  message.push_back(static_cast<char>(channel_binding.size()));
  message.append(channel_binding);
  message.append(extra);
  return message;
}

std::string sign(const LoginKey& key, const std::string& message) {
  detail::require(key.secret_key.size() == crypto_sign_SECRETKEYBYTES, "a login key");
  detail::require(!message.empty(), "username and channel binding of at most 255 bytes");
  std::string signature(crypto_sign_BYTES, '\0');
  crypto_sign_detached(detail::u8(signature), nullptr, detail::u8(message), message.size(),
                       key.secret_key.data());
  return signature;
}

bool verify(std::string_view public_key, std::string_view signature, std::string_view nonce,
            const std::string& message) {
  ensure_sodium();
  if (public_key.size() != crypto_sign_PUBLICKEYBYTES || signature.size() != crypto_sign_BYTES ||
      nonce.size() != kLoginNonceBytes || message.empty()) {
    return false;
  }
  return crypto_sign_verify_detached(detail::u8(signature), detail::u8(message), message.size(),
                                     detail::u8(public_key)) == 0;
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
  return sign(key, signed_message(kLoginContext, username, nonce, channel_binding));
}

bool verify_login(std::string_view public_key, std::string_view signature,
                  std::string_view username, std::string_view nonce,
                  std::string_view channel_binding) {
  return verify(public_key, signature, nonce,
                signed_message(kLoginContext, username, nonce, channel_binding));
}

std::string sign_key_change(const LoginKey& current, std::string_view username,
                            std::string_view nonce, std::string_view channel_binding,
                            std::string_view new_public_key) {
  return sign(current,
              signed_message(kKeyChangeContext, username, nonce, channel_binding, new_public_key));
}

bool verify_key_change(std::string_view current_public_key, std::string_view signature,
                       std::string_view username, std::string_view nonce,
                       std::string_view channel_binding, std::string_view new_public_key) {
  if (new_public_key.size() != kLoginPublicKeyBytes) return false;
  return verify(
      current_public_key, signature, nonce,
      signed_message(kKeyChangeContext, username, nonce, channel_binding, new_public_key));
}

std::string sign_resume(const LoginKey& device_key, std::string_view username,
                        std::string_view nonce, std::string_view channel_binding) {
  return sign(device_key, signed_message(kResumeContext, username, nonce, channel_binding));
}

bool verify_resume(std::string_view device_public_key, std::string_view signature,
                   std::string_view username, std::string_view nonce,
                   std::string_view channel_binding) {
  return verify(device_public_key, signature, nonce,
                signed_message(kResumeContext, username, nonce, channel_binding));
}

}  // namespace fastchat::crypto
