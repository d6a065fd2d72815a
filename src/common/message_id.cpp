#include "common/message_id.h"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>

#include "common/hex.h"

namespace fastchat {

namespace {

// The kernel's CSPRNG (what libsodium's randombytes reads too): `common` needs no libsodium.
void fill_random(std::uint8_t* out, std::size_t size) {
  while (size > 0) {
    const ssize_t got = ::getrandom(out, size, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      std::abort();  // no randomness at all (a kernel before 3.17): nothing safe to do
    }
    out += got;
    size -= static_cast<std::size_t>(got);
  }
}

}  // namespace

MessageId MessageId::random() {
  MessageId id;
  fill_random(id.bytes_.data(), id.bytes_.size());
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
  fill_random(id.bytes_.data() + kTimeBytes, kSize - kTimeBytes);
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
  return std::all_of(bytes_.begin(), bytes_.end(), [](std::uint8_t b) { return b == 0; });
}

}  // namespace fastchat
