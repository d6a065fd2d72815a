// The minimum strength of a new password (register, passwd), checked in the client
// core because the server never sees the password (it gets a login key derived from
// it by Argon2id). Estimated by zxcvbn (Debian's zxcvbn-c): dictionaries of common
// passwords, names and words, keyboard patterns, sequences, repeats and dates, and the
// user name itself (docs/decisions.md, "Password strength"). Thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

#include "common/status.h"

namespace fastchat::client {

// At least this many characters (Unicode code points) ...
inline constexpr std::size_t kMinPasswordLength = 10;
// ... and at least this many bits of guessing entropy as zxcvbn estimates them:
// log2(10^8) guesses, zxcvbn's score 3 ("safely unguessable").
inline constexpr double kMinPasswordBits = 26.6;

// OK, or kWeakPassword with a message that says why and what to do instead.
Status check_password_strength(std::string_view password, std::string_view username);

}  // namespace fastchat::client
