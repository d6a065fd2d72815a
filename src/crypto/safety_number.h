// Safety numbers: what two users compare (read aloud, or side by side) to know that
// each holds the other's real identity key and the server swapped nothing. The
// construction is Signal's NumericFingerprint, version 0, with fastchat's key bytes:
//   per side: h = 0x0000 || key || id; 5200 times h = SHA-512(h || key);
//             30 digits from bytes 0..29 of h, 5 bytes at a time (big-endian) mod 100000
//   number:   the two 30-digit halves sorted and concatenated (60 digits), so both
//             users see the same number.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "crypto/identity.h"

namespace fastchat::crypto {

inline constexpr int kSafetyNumberIterations = 5200;
inline constexpr std::size_t kSafetyNumberDigits = 60;

// The key bytes a side of a safety number covers: sign_public_key || box_public_key
// (both halves of the identity: a server that swaps either one changes the number).
std::string safety_number_key(const PublicIdentity& identity);

// The 30 digits of one side: `key` (safety_number_key()) and `stable_id` (the
// canonical username) of one user.
std::string safety_number_half(std::string_view key, std::string_view stable_id);

// The 60 digits both users see, whichever of them computes it.
std::string safety_number(std::string_view local_key, std::string_view local_id,
                          std::string_view remote_key, std::string_view remote_id);

// "12345 67890 ..." : 60 digits in 12 groups of 5 (other lengths: groups of 5 anyway).
std::string format_safety_number(std::string_view digits);

}  // namespace fastchat::crypto
