// Hex text of bytes: written in lower case, read in either case, nothing else accepted
// (no spaces, no "0x"). Pure functions, thread-safe; no libsodium (issue 9: `common`
// should not need it).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace fastchat {

std::string to_hex(std::span<const std::uint8_t> bytes);
std::string to_hex(std::string_view bytes);

// Exactly out.size() bytes from 2 * out.size() digits; false for any other length or
// a character that is not a hex digit (out then holds garbage: a secret's buffer wipes
// itself, so decode secrets straight into it).
bool from_hex(std::string_view hex, std::span<std::uint8_t> out);
// Any even number of digits (none gives ""); nullopt for an odd count or a non-digit.
std::optional<std::string> from_hex(std::string_view hex);

}  // namespace fastchat
