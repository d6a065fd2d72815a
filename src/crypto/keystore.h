// The on-disk keystore: the local user's private identity, encrypted with
// XChaCha20-Poly1305 under a random data key; the data key is wrapped by the
// password-derived storage key. Files are written 0600, atomically (temp + rename).
// Thread-safe (no shared state); concurrent writers of one path leave one whole file.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/identity.h"
#include "crypto/secret.h"

namespace fastchat::crypto {

// File format (binary): "FCKS" | version 1 | wrap_nonce(24) | wrapped data key(48) |
// nonce(24) | ciphertext of Identity::serialize_secret() (+16 MAC).
// The username is authenticated as additional data, so a keystore cannot be swapped
// between accounts.
Status save_keystore(const std::string& path, std::string_view username, const Identity& identity,
                     const SecretBytes& storage_key, SecretBytes* data_key_out = nullptr);

// kNotFound if the file is missing, kIo if it cannot be read, kCrypto if the key is
// wrong, the file is tampered or truncated, or it belongs to another username.
Result<Identity> load_keystore(const std::string& path, std::string_view username,
                               const SecretBytes& storage_key);

// The same file opened with the data key directly (kept in the 0600 session file
// while logged in, so one-shot commands need no password).
Result<Identity> load_keystore_with_data_key(const std::string& path, std::string_view username,
                                             const SecretBytes& data_key);
// Unwraps the data key with the storage key (to store it in the session file at login).
Result<SecretBytes> unwrap_data_key(const std::string& path, std::string_view username,
                                    const SecretBytes& storage_key);

// Writes `bytes` to `path` with mode 0600, atomically.
Status write_private_file(const std::string& path, std::string_view bytes);

}  // namespace fastchat::crypto
