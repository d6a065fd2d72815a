#include "common/username.h"

#include <algorithm>

namespace fastchat {
namespace {

bool canonical_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

bool valid_length(std::string_view name) {
  return !name.empty() && name.size() <= kMaxUsernameLength;
}

}  // namespace

std::optional<std::string> normalize_username(std::string_view name) {
  if (!valid_length(name)) return std::nullopt;
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (!canonical_char(c)) return std::nullopt;
    out.push_back(c);
  }
  return out;
}

bool is_canonical_username(std::string_view name) {
  return valid_length(name) && std::all_of(name.begin(), name.end(), canonical_char);
}

bool is_registrable_username(std::string_view name) {
  return is_canonical_username(name) && name != "." && name != ".." && name.front() != '-';
}

}  // namespace fastchat
