// A strict little JSON reader for asserting on `fastchat --json` output in tests:
// validates a whole document per RFC 8259 and exposes an object's top-level members
// (strings unescaped, everything else as its JSON text). For tests only.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace fastchat::e2e {

struct JsonMember {
  bool is_string = false;
  std::string value;  // unescaped string, or the raw JSON text of a number/bool/array/...
};

// The top-level members of `text` if it is exactly one valid JSON object.
std::optional<std::map<std::string, JsonMember>> parse_json_object(std::string_view text);

}  // namespace fastchat::e2e
