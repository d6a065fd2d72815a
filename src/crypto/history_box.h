// HistoryBox: seals what a person wrote or named in the local history (history.db:
// message texts, senders and peers, file names and saved paths) so that whoever has
// the file but not the keystore reads none of it (docs/decisions.md, "`history.db`
// sealed per column"). The keys are derived by HKDF from the identity's private keys, like
// StateBox's but under their own label: one for XChaCha20-Poly1305, one for keyed
// BLAKE2b tags that stand in for a value where the database must look it up.
// Sealed format: 0x01 | nonce(24) | ciphertext | tag(16); the column and the row's
// identity are associated data, so a value copied into another row or column does not
// open. Immutable after construction; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/identity.h"
#include "crypto/secret.h"

namespace fastchat::crypto {

class HistoryBox {
 public:
  explicit HistoryBox(const Identity& identity);

  // `column` names what is sealed ("messages.body"), `row` the row's identity.
  std::string seal(std::string_view column, std::string_view row, std::string_view plain) const;
  // kCrypto when `sealed` was not sealed by this key for this column and row
  // (tampered, moved, or another account's).
  Result<std::string> open(std::string_view column, std::string_view row,
                           std::string_view sealed) const;
  // 32 bytes: keyed BLAKE2b of `value` within `column`; equal values give equal tags
  // under one key, and nobody without the key can tell which value a tag stands for.
  std::string tag(std::string_view column, std::string_view value) const;

 private:
  SecretBytes seal_key_;
  SecretBytes tag_key_;
};

}  // namespace fastchat::crypto
