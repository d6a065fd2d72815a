#include "common/username.h"

namespace fastchat {

std::optional<std::string> normalize_username(std::string_view name) {
  if (name.empty() || name.size() > kMaxUsernameLength) return std::nullopt;
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                    c == '-';
    if (!ok) return std::nullopt;
    out.push_back(c);
  }
  return out;
}

}  // namespace fastchat
