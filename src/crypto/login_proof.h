// Login proofs (DESIGN §5): the client holds an Ed25519 login key pair derived from its
// password (PasswordKeys::login_seed) and the server keeps only the public half. A
// login signs the server's fresh per-connection nonce and the connection's channel
// binding (the TLS exporter), so a recorded login, a login relayed through a
// TLS-terminating proxy and a stolen database all fail. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "crypto/secret.h"

namespace fastchat::crypto {

inline constexpr std::size_t kLoginNonceBytes = 32;
inline constexpr std::size_t kLoginPublicKeyBytes = 32;
inline constexpr std::size_t kLoginSignatureBytes = 64;
// The channel binding: this many bytes of the TLS exporter under this label.
inline constexpr std::string_view kChannelBindingLabel = "EXPORTER-fastchat-login";
inline constexpr std::size_t kChannelBindingBytes = 32;

struct LoginKey {
  std::string public_key;  // 32 bytes, Ed25519
  SecretBytes secret_key;  // 64 bytes, Ed25519 (seed || public key)
};

// The key pair of `seed` (32 bytes; another size is a bug and aborts). Deterministic.
LoginKey login_key_from_seed(const SecretBytes& seed);

// 32 random bytes: one per connection, sent in HelloOk.
std::string new_login_nonce();

// Ed25519 over "fastchat/login/v2" || len(username) || username || nonce ||
// len(binding) || binding. `username` canonical, at most 255 bytes; `channel_binding`
// at most 255 bytes (empty on a plaintext connection).
std::string sign_login(const LoginKey& key, std::string_view username, std::string_view nonce,
                       std::string_view channel_binding);
// Whether `signature` is such a proof by `public_key`; false for any malformed input.
bool verify_login(std::string_view public_key, std::string_view signature,
                  std::string_view username, std::string_view nonce,
                  std::string_view channel_binding);

// The same for a password change: by the current key, over context
// "fastchat/change-login-key/v2", the same fields, then `new_public_key`.
std::string sign_key_change(const LoginKey& current, std::string_view username,
                            std::string_view nonce, std::string_view channel_binding,
                            std::string_view new_public_key);
bool verify_key_change(std::string_view current_public_key, std::string_view signature,
                       std::string_view username, std::string_view nonce,
                       std::string_view channel_binding, std::string_view new_public_key);

// A session resume by the device key the session is bound to (crypto/device_key.h):
// context "fastchat/resume/v1", the same fields as a login. A token alone, or a Resume
// recorded on another connection, resumes nothing.
std::string sign_resume(const LoginKey& device_key, std::string_view username,
                        std::string_view nonce, std::string_view channel_binding);
bool verify_resume(std::string_view device_public_key, std::string_view signature,
                   std::string_view username, std::string_view nonce,
                   std::string_view channel_binding);

}  // namespace fastchat::crypto
