// The account of keystore_fuzz and its seed writer: a fixed username and storage key
// (what the password derives), so the seed keystore opens in every run.
#pragma once

#include <string>
#include <string_view>

#include "crypto/secret.h"

namespace fastchat::fuzz {

inline constexpr std::string_view kKeystoreUser = "alice";

inline const crypto::SecretBytes& keystore_storage_key() {
  static const crypto::SecretBytes key(std::string(32, '\x5a'));
  return key;
}

}  // namespace fastchat::fuzz
