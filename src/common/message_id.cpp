#include "common/message_id.h"

#include <sodium.h>

#include <chrono>

#include "common/hex.h"

namespace fastchat {

MessageId MessageId::random() {
  MessageId id;
  randombytes_buf(id.bytes_.data(), id.bytes_.size());
  return id;
}

MessageId MessageId::time_ordered() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return time_ordered(static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now).count()));
}

MessageId MessageId::time_ordered(std::uint64_t unix_ms) {
  MessageId id;
  constexpr std::size_t kTimeBytes = 6;
  for (std::size_t i = 0; i < kTimeBytes; ++i) {
    id.bytes_[i] = static_cast<std::uint8_t>(unix_ms >> (8 * (kTimeBytes - 1 - i)));
  }
  randombytes_buf(id.bytes_.data() + kTimeBytes, kSize - kTimeBytes);
  return id;
}

std::optional<MessageId> MessageId::from_bytes(std::string_view raw) {
  if (raw.size() != kSize) return std::nullopt;
  MessageId id;
  std::memcpy(id.bytes_.data(), raw.data(), kSize);
  return id;
}

std::optional<MessageId> MessageId::from_hex(std::string_view hex) {
  MessageId id;
  if (!fastchat::from_hex(hex, id.bytes_)) return std::nullopt;
  return id;
}

std::string MessageId::to_hex() const {
  return fastchat::to_hex(bytes_);
}

bool MessageId::is_zero() const {
  return sodium_is_zero(bytes_.data(), kSize) == 1;
}

}  // namespace fastchat
