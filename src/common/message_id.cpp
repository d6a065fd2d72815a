#include "common/message_id.h"

#include <sodium.h>

namespace fastchat {

MessageId MessageId::random() {
  MessageId id;
  randombytes_buf(id.bytes_.data(), id.bytes_.size());
  return id;
}

std::optional<MessageId> MessageId::from_bytes(std::string_view raw) {
  if (raw.size() != kSize) return std::nullopt;
  MessageId id;
  std::memcpy(id.bytes_.data(), raw.data(), kSize);
  return id;
}

std::optional<MessageId> MessageId::from_hex(std::string_view hex) {
  if (hex.size() != 2 * kSize) return std::nullopt;
  MessageId id;
  std::size_t written = 0;
  if (sodium_hex2bin(id.bytes_.data(), kSize, hex.data(), hex.size(), nullptr, &written,
                     nullptr) != 0 ||
      written != kSize) {
    return std::nullopt;
  }
  return id;
}

std::string MessageId::to_hex() const {
  char out[2 * kSize + 1];
  sodium_bin2hex(out, sizeof out, bytes_.data(), kSize);
  return std::string(out, 2 * kSize);
}

bool MessageId::is_zero() const { return sodium_is_zero(bytes_.data(), kSize) == 1; }

}  // namespace fastchat
