// Internal to src/crypto (not part of the module's API): views of std::string bytes as
// the unsigned char pointers libsodium takes, and the check for a broken caller
// invariant. Stateless; thread-safe.
#pragma once

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace fastchat::crypto::detail {

inline const unsigned char* u8(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

inline unsigned char* u8(std::string& s, std::size_t offset = 0) {
  return reinterpret_cast<unsigned char*>(s.data() + offset);
}

inline std::string as_string(const unsigned char* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// A caller broke a documented precondition (a bug, not bad input): stop loudly
// rather than hand libsodium a null or short key.
inline void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "fastchat crypto: broken invariant: %s\n", what);
  std::abort();
}

}  // namespace fastchat::crypto::detail
