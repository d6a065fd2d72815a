// StateBox: seals saved E2EE v2 state (ratchet sessions, private prekeys) for the local
// disk. The key is derived by HKDF from the identity's private keys, which only the
// keystore holds (encrypted under the password): whoever has history.db alone opens
// nothing. The key survives a password change (the keystore's data key does not).
// Format: "FCSB" | 0x01 | nonce(24) | XChaCha20-Poly1305(state), with the kind of state
// and its owner (e.g. the peer's address) as associated data, so one row cannot be
// passed off as another. Immutable after construction; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/identity.h"
#include "crypto/secret.h"

namespace fastchat::crypto {

class StateBox {
 public:
  explicit StateBox(const Identity& identity);

  std::string seal(std::string_view kind, std::string_view owner, const SecretBytes& state) const;
  // kCrypto when `sealed` is not a box of this key for this kind and owner.
  Result<SecretBytes> open(std::string_view kind, std::string_view owner,
                           std::string_view sealed) const;

 private:
  SecretBytes key_;
};

}  // namespace fastchat::crypto
