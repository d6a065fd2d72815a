// Usernames: 1-32 characters of a-z 0-9 _ . -, compared case-insensitively.
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

}  // namespace fastchat
