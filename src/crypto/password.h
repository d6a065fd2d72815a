// Password-derived keys (DESIGN §5, §6). One Argon2id run (interactive limits,
// ~100 ms) per login on the client; never run on a server's event loop.
#pragma once

#include <string_view>

#include "crypto/secret.h"

namespace fastchat::crypto {

struct PasswordKeys {
  // 32 bytes: what legacy logins sent instead of the password; now sent at most once,
  // to move an account from before login keys onto one.
  SecretBytes auth_key;
  SecretBytes storage_key;  // 32 bytes: unlocks the local keystore; never sent
  SecretBytes login_seed;   // 32 bytes: the seed of the login key pair; never sent
};

// master = Argon2id(password, salt = BLAKE2b-128("fastchat/auth/v1" || username)),
// interactive limits; then auth_key, storage_key and login_seed are independent keyed
// BLAKE2b derivations of it (crypto_kdf, contexts "fcauth01", "fcstor01" and
// "fclogn01", subkey id 1).
// The master is wiped. `username` must be canonical (lower case). Deterministic: a
// change here locks every existing account out. Thread-safe.
PasswordKeys derive_password_keys(std::string_view username, std::string_view password);

}  // namespace fastchat::crypto
