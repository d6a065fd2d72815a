// Key derivation for E2EE v2: HKDF-SHA256 (RFC 5869) and the HMAC-SHA256 chain step of
// the Signal specifications, built on libsodium's HMAC-SHA256 (Debian 12 ships libsodium
// 1.0.18, which has no crypto_kdf_hkdf_*). Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

#include "crypto/secret.h"

namespace fastchat::crypto {

inline constexpr std::size_t kHkdfMaxOutput = 255 * 32;
inline constexpr std::size_t kChainKeyBytes = 32;

SecretBytes hmac_sha256(std::string_view key, std::string_view data);

// RFC 5869 extract-then-expand. An empty salt means 32 zero bytes (as the RFC says).
// `length` outside 1..kHkdfMaxOutput is a caller bug and aborts.
SecretBytes hkdf_sha256(std::string_view salt, std::string_view ikm, std::string_view info,
                        std::size_t length);

// One step of a symmetric KDF chain (Double Ratchet §5.2, Sender Keys):
// message key = HMAC(chain key, 0x01), next chain key = HMAC(chain key, 0x02).
struct ChainStep {
  SecretBytes message_key;
  SecretBytes next_chain_key;
};
ChainStep chain_step(const SecretBytes& chain_key);

}  // namespace fastchat::crypto
