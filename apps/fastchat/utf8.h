// UTF-8 decoding for output that must stay well-formed (JSON) or harmless (terminal).
// Pure functions; no shared state.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace fastchat::cli {

inline constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

// Decodes the well-formed UTF-8 sequence at the start of non-empty `s` into `code_point`
// and returns its length in bytes, or returns 0 when the bytes are not well-formed
// (overlong forms, surrogates and code points above U+10FFFF included).
std::size_t decode_utf8(std::string_view s, char32_t& code_point);

// Appends `code_point` (which must be a valid scalar value) encoded as UTF-8.
void append_utf8(std::string& out, char32_t code_point);

}  // namespace fastchat::cli
