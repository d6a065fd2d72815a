// The AEAD of E2EE v2 messages (ratchet and sender keys): a message key, used once, is
// expanded by HKDF into an XChaCha20-Poly1305 key; the 24-byte nonce is random and sent
// in front of the ciphertext. The spec derives the nonce from the message key too; a
// random one costs 24 bytes and keeps a state that was rolled back (a crash between
// encrypt and save, a restored backup) from ever repeating a keystream: the repeated
// message key then only makes the second message a refused replay. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/secret.h"

namespace fastchat::crypto {

inline constexpr std::size_t kMessageCipherOverhead = 24 + 16;  // nonce, Poly1305 tag

// `label` separates the users of message keys (ratchet vs sender keys).
std::string seal_with_message_key(const SecretBytes& message_key, std::string_view label,
                                  std::string_view plaintext, std::string_view associated_data);
// kCrypto when the ciphertext, the key or the associated data is not the sealer's.
Result<std::string> open_with_message_key(const SecretBytes& message_key, std::string_view label,
                                          std::string_view ciphertext,
                                          std::string_view associated_data);

}  // namespace fastchat::crypto
