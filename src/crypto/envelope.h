// Envelopes (DESIGN §6): how message content is sealed.
//  direct:   0x01 | nonce(24) | crypto_box_easy_afternm(content, shared key of sender+recipient)
//  group v2: body = 0x03 | nonce(24) | XChaCha20-Poly1305(content, message key, ad)
//            wrap = nonce(24) | crypto_box_easy_afternm(message key | BLAKE2b-256(body),
//                                                       shared key of sender+member)
// The first byte is the envelope version so later versions can coexist. The wrap binds
// the body: a member, who knows the message key, cannot pass another body off as the
// sender's. Group v1 (0x02, wraps of the key alone) allowed that and is refused.
// Pure functions over keys; thread-safe.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/identity.h"
#include "crypto/secret.h"

namespace fastchat::crypto {

inline constexpr unsigned char kEnvelopeDirectV1 = 0x01;
inline constexpr unsigned char kEnvelopeGroupV2 = 0x03;

// crypto_box_beforenm(their_box_public_key, my_box_secret_key): compute once per
// contact and cache it (X25519 costs ~45 us; sealing with it ~1-2 us).
class SharedKey {
 public:
  static Result<SharedKey> derive(std::string_view their_box_public_key,
                                  const SecretBytes& my_box_secret_key);
  const SecretBytes& bytes() const { return key_; }

 private:
  SecretBytes key_;
};

// Sealing with a default-constructed (empty) SharedKey is a bug and aborts.
std::string seal_direct(const SharedKey& key, std::string_view plaintext);
// kCrypto on a wrong or empty key, a tampered or truncated envelope or an unknown version.
Result<std::string> open_direct(const SharedKey& key, std::string_view envelope);

struct SealedGroupMessage {
  std::string body;
  std::vector<std::string> wraps;  // wraps[i] is for recipients[i]
};

// Encrypts `plaintext` once under a fresh message key and seals that key to every
// recipient. `associated_data` (e.g. group id || message id) is bound to the body.
SealedGroupMessage seal_group(std::span<const SharedKey* const> recipients,
                              std::string_view plaintext, std::string_view associated_data);
// `key` is the shared key between the recipient and the sender. kCrypto as open_direct(),
// and when the associated data differs from the sender's or the body is not the one the
// sender's wrap names.
Result<std::string> open_group(const SharedKey& key, std::string_view wrap, std::string_view body,
                               std::string_view associated_data);

}  // namespace fastchat::crypto
