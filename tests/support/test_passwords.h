// The password every test gives the user `name`: derived from the name, so tests and
// their helpers agree on it without passing it around, and strong enough for the
// client core's minimum (client/password_strength.h), which tests must not weaken.
#pragma once

#include <string>
#include <string_view>

namespace fastchat::test_support {

inline std::string test_password(std::string_view name) {
  return std::string(name) + "-correct-horse-battery";
}

}  // namespace fastchat::test_support
