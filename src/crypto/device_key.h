// Device keys (DESIGN §5): each client home makes one Ed25519 key pair per user, once,
// and binds every session it opens to the public half; resuming a session needs a
// signature by the private half (crypto/login_proof.h, sign_resume). The device id is
// derived from the public key, so a device keeps its id across logins and anyone can
// recompute it (issue 11 addresses per-device keys by (user, device id)).
// Pure functions and small private files; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/login_proof.h"

namespace fastchat::crypto {

inline constexpr std::size_t kDevicePublicKeyBytes = 32;
inline constexpr std::size_t kMaxDeviceNameBytes = 64;
// The E2EE device id every client used before E2EE ids came from device keys: a home
// whose E2EE state is saved under it keeps it (its sessions are bound to it).
inline constexpr std::uint32_t kLegacyDeviceId = 1;

// A fresh random key pair.
LoginKey new_device_key();

// The first four bytes (big-endian) of BLAKE2b-256("fastchat/device-id/v1" || public
// key), never 0. Unique per user in practice (a collision only makes two devices share
// a label: sessions are addressed by their own id).
std::uint32_t device_id_of(std::string_view device_public_key);

// A random session id (never 0): what a user names one of their sessions by.
std::uint32_t random_session_id();

// The device key stored at `path` (mode 0600: "FCDK" | version 1 | 32-byte seed), made
// and stored first when there is none. Two processes racing both end up with the one
// that reached the disk first. kIo for an unreadable or malformed file.
Result<LoginKey> load_or_create_device_key(const std::string& path);

}  // namespace fastchat::crypto
