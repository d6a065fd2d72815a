// Internal to src/crypto: small private files (keystores, the server secret). Reads
// are bounded; writes go to a unique 0600 temp file, are fsynced, then moved into
// place. write_private_file() itself is declared in keystore.h. Thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/secret.h"

namespace fastchat::crypto::detail {

// The file's bytes, but never more than `max_bytes` + 1 of them: a result longer than
// `max_bytes` means the file is too long (the caller decides what that is). kNotFound
// when it does not exist, kIo for any other failure (a directory, no permission).
// SecretBytes, so that secrets read from disk are wiped after use.
Result<SecretBytes> read_private_file(const std::string& path, std::size_t max_bytes);

// Creates `path` (mode 0600) holding `bytes` unless it already exists: true when this
// call created it, false when another file was there first (that file is left as is).
Result<bool> create_private_file(const std::string& path, std::string_view bytes);

}  // namespace fastchat::crypto::detail
