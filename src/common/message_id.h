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
  // For new messages: the Unix time in milliseconds (48 bits, big-endian) then 80 random
  // bits, like a UUIDv7. Ids made one after another sort one after another, so a store's
  // index of them grows at its end instead of at random pages.
  static MessageId time_ordered();
  static MessageId time_ordered(std::uint64_t unix_ms);
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
    std::size_t h;  // the last 8 bytes are random in every kind of id
    std::memcpy(&h, id.bytes().data() + fastchat::MessageId::kSize - sizeof h, sizeof h);
    return h;
  }
};
