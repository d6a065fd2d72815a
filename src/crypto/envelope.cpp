#include "crypto/envelope.h"

#include <sodium.h>

#include <algorithm>

#include "crypto/bytes.h"
#include "crypto/sodium_init.h"

namespace fastchat::crypto {

namespace {

using detail::u8;

constexpr std::size_t kBoxNonce = crypto_box_NONCEBYTES;
constexpr std::size_t kBoxMac = crypto_box_MACBYTES;
constexpr std::size_t kAeadNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kAeadMac = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr std::size_t kMessageKey = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
constexpr std::size_t kBodyHash = crypto_generichash_BYTES;  // 32
constexpr std::size_t kWrapPlaintext = kMessageKey + kBodyHash;
static_assert(kBodyHash == 32, "crypto_verify_32 compares the body hash");

bool usable(const SharedKey& key) {
  return key.bytes().size() == crypto_box_BEFORENMBYTES;
}

// nonce || crypto_box_easy_afternm(plaintext), appended to `out`.
void box_append(std::string& out, const SharedKey& key, std::string_view plaintext) {
  detail::require(usable(key), "sealing with an empty SharedKey");
  const std::size_t offset = out.size();
  out.resize(offset + kBoxNonce + kBoxMac + plaintext.size());
  randombytes_buf(u8(out, offset), kBoxNonce);
  crypto_box_easy_afternm(u8(out, offset + kBoxNonce), u8(plaintext), plaintext.size(),
                          u8(out, offset), key.bytes().data());
}

// Opens nonce || box into `plaintext`, which must be sealed.size() - nonce - MAC long.
Status box_open(const SharedKey& key, std::string_view sealed, unsigned char* plaintext) {
  if (crypto_box_open_easy_afternm(plaintext, u8(sealed) + kBoxNonce, sealed.size() - kBoxNonce,
                                   u8(sealed), key.bytes().data()) != 0) {
    return Status(Code::kCrypto, "cannot open: wrong key or tampered data");
  }
  return Status::ok();
}

}  // namespace

Result<SharedKey> SharedKey::derive(std::string_view their_box_public_key,
                                    const SecretBytes& my_box_secret_key) {
  ensure_sodium();
  if (their_box_public_key.size() != crypto_box_PUBLICKEYBYTES ||
      my_box_secret_key.size() != crypto_box_SECRETKEYBYTES) {
    return Status(Code::kCrypto, "box key has the wrong size");
  }
  SharedKey key;
  key.key_ = SecretBytes(crypto_box_BEFORENMBYTES);
  // Fails for low-order public keys, whose shared secret would be all zeros.
  if (crypto_box_beforenm(key.key_.data(), u8(their_box_public_key), my_box_secret_key.data()) !=
      0) {
    return Status(Code::kCrypto, "weak public key");
  }
  return key;
}

std::string seal_direct(const SharedKey& key, std::string_view plaintext) {
  ensure_sodium();
  std::string out(1, static_cast<char>(kEnvelopeDirectV1));
  box_append(out, key, plaintext);
  return out;
}

Result<std::string> open_direct(const SharedKey& key, std::string_view envelope) {
  if (envelope.empty()) return Status(Code::kCrypto, "empty envelope");
  if (static_cast<unsigned char>(envelope[0]) != kEnvelopeDirectV1) {
    return Status(Code::kCrypto, "not a version 1 direct envelope");
  }
  const std::string_view sealed = envelope.substr(1);
  if (sealed.size() < kBoxNonce + kBoxMac) return Status(Code::kCrypto, "envelope is truncated");
  if (!usable(key)) return Status(Code::kCrypto, "no shared key");
  std::string plaintext(sealed.size() - kBoxNonce - kBoxMac, '\0');
  if (Status opened = box_open(key, sealed, u8(plaintext)); !opened) return opened;
  return plaintext;
}

SealedGroupMessage seal_group(std::span<const SharedKey* const> recipients,
                              std::string_view plaintext, std::string_view associated_data) {
  ensure_sodium();
  for (const SharedKey* recipient : recipients) {
    detail::require(recipient != nullptr, "seal_group() with a null recipient key");
  }
  SecretBytes message_key(kMessageKey);
  crypto_aead_xchacha20poly1305_ietf_keygen(message_key.data());

  SealedGroupMessage sealed;
  sealed.body.assign(1, static_cast<char>(kEnvelopeGroupV2));
  sealed.body.resize(1 + kAeadNonce + plaintext.size() + kAeadMac);
  randombytes_buf(u8(sealed.body, 1), kAeadNonce);
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      u8(sealed.body, 1 + kAeadNonce), nullptr, u8(plaintext), plaintext.size(),
      u8(associated_data), associated_data.size(), nullptr, u8(sealed.body, 1), message_key.data());

  SecretBytes wrapped(kWrapPlaintext);  // message key | hash of the finished body
  std::copy_n(message_key.data(), kMessageKey, wrapped.data());
  crypto_generichash(wrapped.data() + kMessageKey, kBodyHash, u8(sealed.body), sealed.body.size(),
                     nullptr, 0);
  sealed.wraps.reserve(recipients.size());
  for (const SharedKey* recipient : recipients) {
    std::string wrap;
    box_append(wrap, *recipient, wrapped.view());
    sealed.wraps.push_back(std::move(wrap));
  }
  return sealed;
}

Result<std::string> open_group(const SharedKey& key, std::string_view wrap, std::string_view body,
                               std::string_view associated_data) {
  if (body.empty()) return Status(Code::kCrypto, "empty group envelope");
  if (static_cast<unsigned char>(body[0]) != kEnvelopeGroupV2) {
    return Status(Code::kCrypto, "not a version 2 group envelope");
  }
  if (body.size() < 1 + kAeadNonce + kAeadMac) {
    return Status(Code::kCrypto, "group envelope is truncated");
  }
  if (wrap.size() != kBoxNonce + kBoxMac + kWrapPlaintext) {
    return Status(Code::kCrypto, "key wrap has the wrong size");
  }
  if (!usable(key)) return Status(Code::kCrypto, "no shared key");
  SecretBytes wrapped(kWrapPlaintext);
  if (Status opened = box_open(key, wrap, wrapped.data()); !opened) return opened;
  unsigned char body_hash[kBodyHash];
  crypto_generichash(body_hash, kBodyHash, u8(body), body.size(), nullptr, 0);
  if (crypto_verify_32(body_hash, wrapped.data() + kMessageKey) != 0) {
    return Status(Code::kCrypto,
                  "group message body is not the one its sender wrapped the key for");
  }
  const unsigned char* message_key = wrapped.data();

  const std::string_view ciphertext = body.substr(1 + kAeadNonce);
  std::string plaintext(ciphertext.size() - kAeadMac, '\0');
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          u8(plaintext), nullptr, nullptr, u8(ciphertext), ciphertext.size(), u8(associated_data),
          associated_data.size(), u8(body) + 1, message_key) != 0) {
    return Status(Code::kCrypto, "cannot open group message: wrong key or tampered data");
  }
  return plaintext;
}

}  // namespace fastchat::crypto
