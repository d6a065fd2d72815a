// Wire forms of Sender Keys (docs/e2ee-v2.md "Formats"):
//   distribution: 0x14 | group id (u8 len) | key id u32 | iteration u32 | chain key 32 |
//                 signing key 32   (secret: sent only inside a 1:1 ratchet session)
//   message:      0x13 | key id u32 | iteration u32 | nonce 24 | AEAD ciphertext |
//                 Ed25519 signature 64
// Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/secret.h"

namespace fastchat::crypto {

inline constexpr unsigned char kSenderKeyMessageV1 = 0x13;
inline constexpr unsigned char kSenderKeyDistributionV1 = 0x14;
inline constexpr std::size_t kMaxGroupId = 255;
inline constexpr std::size_t kSenderKeyHeaderBytes = 1 + 4 + 4;

struct SenderKeyDistribution {
  std::string group_id;  // 1..kMaxGroupId bytes
  std::uint32_t key_id = 0;
  std::uint32_t iteration = 0;  // the chain key is the one of this message number
  SecretBytes chain_key;
  std::string signing_public_key;  // Ed25519
};

struct SenderKeyMessage {
  std::uint32_t key_id = 0;
  std::uint32_t iteration = 0;
  std::string ciphertext;
  std::string signature;
};

SecretBytes encode_sender_key_distribution(const SenderKeyDistribution& distribution);
// kCrypto on malformed input.
Result<SenderKeyDistribution> decode_sender_key_distribution(std::string_view bytes);

// The header (0x13 | key id | iteration), which the AEAD and the signature cover.
std::string encode_sender_key_header(std::uint32_t key_id, std::uint32_t iteration);
std::string encode_sender_key_message(const SenderKeyMessage& message);
// kCrypto on malformed input (form only; the signature is checked by the receiver).
Result<SenderKeyMessage> decode_sender_key_message(std::string_view bytes);

}  // namespace fastchat::crypto
