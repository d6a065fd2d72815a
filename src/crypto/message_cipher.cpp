#include "crypto/message_cipher.h"

#include <sodium.h>

#include "crypto/bytes.h"
#include "crypto/kdf.h"
#include "crypto/sodium_init.h"

namespace fastchat::crypto {

namespace {

using detail::u8;

constexpr std::size_t kKey = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
constexpr std::size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
static_assert(kMessageCipherOverhead == kNonce + kTag);

SecretBytes aead_key(const SecretBytes& message_key, std::string_view label) {
  detail::require(message_key.size() == 32, "message key has the wrong size");
  return hkdf_sha256({}, message_key.view(), label, kKey);
}

}  // namespace

// nonce(24) | XChaCha20-Poly1305(plaintext, aead key, nonce, associated data)
std::string seal_with_message_key(const SecretBytes& message_key, std::string_view label,
                                  std::string_view plaintext, std::string_view associated_data) {
  ensure_sodium();
  const SecretBytes key = aead_key(message_key, label);
  std::string out(kNonce + plaintext.size() + kTag, '\0');
  randombytes_buf(u8(out), kNonce);
  unsigned long long sealed_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(u8(out, kNonce), &sealed_len, u8(plaintext),
                                             plaintext.size(), u8(associated_data),
                                             associated_data.size(), nullptr, u8(out), key.data());
  out.resize(kNonce + sealed_len);
  return out;
}

Result<std::string> open_with_message_key(const SecretBytes& message_key, std::string_view label,
                                          std::string_view ciphertext,
                                          std::string_view associated_data) {
  ensure_sodium();
  if (ciphertext.size() < kMessageCipherOverhead || message_key.size() != 32) {
    return Status(Code::kCrypto, "message does not decrypt");
  }
  const SecretBytes key = aead_key(message_key, label);
  const std::string_view nonce = ciphertext.substr(0, kNonce);
  const std::string_view sealed = ciphertext.substr(kNonce);
  std::string out(sealed.size() - kTag, '\0');
  unsigned long long out_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          u8(out), &out_len, nullptr, u8(sealed), sealed.size(), u8(associated_data),
          associated_data.size(), u8(nonce), key.data()) != 0) {
    return Status(Code::kCrypto, "message does not decrypt");
  }
  out.resize(out_len);
  return out;
}

}  // namespace fastchat::crypto
