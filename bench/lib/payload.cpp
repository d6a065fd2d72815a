#include "payload.h"

#include <charconv>

namespace fastchat::bench {

std::string make_payload(const PayloadHeader& header, std::size_t size) {
  char buf[96];
  const int n = std::snprintf(buf, sizeof buf, "fcb %u %llu %lld ", header.step,
                              static_cast<unsigned long long>(header.slot),
                              static_cast<long long>(header.intended_ns));
  std::string text(buf, static_cast<std::size_t>(n));
  if (text.size() < size) text.append(size - text.size(), 'x');
  return text;
}

std::optional<PayloadHeader> parse_payload(std::string_view text) {
  if (text.substr(0, 4) != "fcb ") return std::nullopt;
  const char* p = text.data() + 4;
  const char* end = text.data() + text.size();
  PayloadHeader h;
  auto field = [&](auto& value) {
    auto [ptr, ec] = std::from_chars(p, end, value);
    if (ec != std::errc() || ptr == end || *ptr != ' ') return false;
    p = ptr + 1;
    return true;
  };
  if (!field(h.step) || !field(h.slot) || !field(h.intended_ns)) return std::nullopt;
  return h;
}

}  // namespace fastchat::bench
