// The fixed account of the prekey fuzzer and its seed writer: "alice" with an identity
// derived from constant seeds, so seeds signed by it verify in every run.
#pragma once

#include "crypto/identity.h"
#include "fixed_identity.h"

namespace fastchat::fuzz {

inline const crypto::Identity& prekey_fuzz_identity() {
  static const crypto::Identity identity = fixed_identity(1);
  return identity;
}

}  // namespace fastchat::fuzz
