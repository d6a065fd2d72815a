// The text of a bench message (inside the encrypted Content): which step sent it,
// its first ledger slot and its intended send time, padded to the payload size:
//   "fcb <step> <slot> <intended_ns> " + 'x' * n
// The receiver reads it after decrypting, so latency covers the whole path.
// Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fastchat::bench {

struct PayloadHeader {
  std::uint32_t step = 0;
  std::uint64_t slot = 0;
  std::int64_t intended_ns = 0;  // steady clock, since its epoch
};

// At least `size` bytes (more only when the header alone is longer).
std::string make_payload(const PayloadHeader& header, std::size_t size);
std::optional<PayloadHeader> parse_payload(std::string_view text);

}  // namespace fastchat::bench
