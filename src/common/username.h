// Usernames: 1-32 characters of a-z 0-9 _ . -, compared case-insensitively. New
// accounts also may not be "." or ".." or start with "-" (path components and
// command-line flags); accounts made before that rule keep working.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fastchat {

inline constexpr std::size_t kMaxUsernameLength = 32;

// The canonical (lower-case) form of a username, or nullopt when it is not valid.
std::optional<std::string> normalize_username(std::string_view name);
// Whether `name` is already canonical: normalize_username(name) == name.
bool is_canonical_username(std::string_view name);
// Whether a new account may take the canonical `name`.
bool is_registrable_username(std::string_view name);
// What to tell someone who picked a name that is not registrable.
inline constexpr char kUsernameRule[] =
    "use 1-32 characters of a-z 0-9 _ . -, not starting with '-' and not '.' or '..'";

}  // namespace fastchat
