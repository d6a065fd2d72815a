// Wire forms of Double Ratchet messages (docs/e2ee-v2.md "Formats"):
//   ratchet message: 0x11 | ratchet key 32 | PN u32 | N u32 | nonce 24 | AEAD ciphertext
//   prekey message:  0x12 | initiator sign key 32 | initiator DH key 32 | base key 32 |
//                    signed prekey id u32 | has one-time prekey u8 | [its id u32] |
//                    ratchet message
// The first 41 bytes of a ratchet message are its header, bound to the ciphertext as
// associated data. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/x3dh.h"

namespace fastchat::crypto {

inline constexpr unsigned char kRatchetMessageV1 = 0x11;
inline constexpr unsigned char kPrekeyMessageV1 = 0x12;
inline constexpr std::size_t kRatchetHeaderBytes = 1 + 32 + 4 + 4;
inline constexpr std::size_t kMaxSealedMessage = 16 * 1024 * 1024;  // ciphertext bytes

struct RatchetHeader {
  std::string ratchet_key;                  // the sender's current X25519 ratchet public key
  std::uint32_t previous_chain_length = 0;  // PN
  std::uint32_t message_number = 0;         // N
};

struct RatchetMessage {
  RatchetHeader header;
  std::string ciphertext;
};

struct PrekeyMessage {
  InitialHeader initial;
  RatchetMessage message;
};

std::string encode_ratchet_header(const RatchetHeader& header);
std::string encode_ratchet_message(const RatchetMessage& message);
std::string encode_prekey_message(const PrekeyMessage& message);
// kCrypto on malformed input (wrong version, sizes, a ciphertext shorter than its tag
// or longer than kMaxSealedMessage).
Result<RatchetMessage> decode_ratchet_message(std::string_view bytes);
Result<PrekeyMessage> decode_prekey_message(std::string_view bytes);

}  // namespace fastchat::crypto
