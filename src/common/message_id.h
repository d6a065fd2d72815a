// MessageId: the 128-bit, client-chosen id of a message (DESIGN §3), and other ids.
// Value types; no shared state.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace fastchat {

using UserId = std::int64_t;
using GroupId = std::uint64_t;

class MessageId {
 public:
  static constexpr std::size_t kSize = 16;

  MessageId() { bytes_.fill(0); }
  static MessageId random();
  // From exactly 16 raw bytes (as carried on the wire); nullopt otherwise.
  static std::optional<MessageId> from_bytes(std::string_view raw);
  static std::optional<MessageId> from_hex(std::string_view hex);

  std::string_view bytes() const {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
  }
  std::string to_bytes() const { return std::string(bytes()); }
  std::string to_hex() const;
  bool is_zero() const;

  auto operator<=>(const MessageId&) const = default;

 private:
  std::array<std::uint8_t, kSize> bytes_;
};

}  // namespace fastchat

template <>
struct std::hash<fastchat::MessageId> {
  std::size_t operator()(const fastchat::MessageId& id) const noexcept {
    std::size_t h;
    std::memcpy(&h, id.bytes().data(), sizeof h);  // already uniformly random
    return h;
  }
};
