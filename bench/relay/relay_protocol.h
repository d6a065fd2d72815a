// The ceiling relay's wire format: fastchat's framing (4-byte big-endian length, then
// the payload) with a payload that starts with a 4-byte big-endian 'to' index:
//   to = index of a connection: forward this frame, unchanged, to it
//   to = kRegister: the payload's next 4 bytes are the sender's own index
//   to = kAck: the relay's answer to a register or a forwarded frame (no more bytes)
// Header only; pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fastchat::relay {

inline constexpr std::uint32_t kRegister = 0xfffffffe;
inline constexpr std::uint32_t kAck = 0xffffffff;
inline constexpr std::size_t kMaxFrame = 1 << 20;

inline void put_u32(std::string& out, std::uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(b, 4);
}

inline std::uint32_t get_u32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) | (std::uint32_t{u[2]} << 8) |
         u[3];
}

// Appends one frame: length, to, body.
inline void append_frame(std::string& out, std::uint32_t to, std::string_view body) {
  put_u32(out, static_cast<std::uint32_t>(4 + body.size()));
  put_u32(out, to);
  out.append(body);
}

}  // namespace fastchat::relay
