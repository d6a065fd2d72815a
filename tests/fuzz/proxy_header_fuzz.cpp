// Fuzzes the PROXY v2 header decoder the way the server reads it: 16 bytes, then the
// body they announce.
#include <cstdint>
#include <string_view>

#include "protocol/proxy_header.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto body = fastchat::protocol::proxy_header_body_size(input.substr(0, 16));
  if (!body) return 0;
  if (*body > fastchat::protocol::kMaxProxyHeaderBody) __builtin_trap();
  const std::size_t total = fastchat::protocol::kProxyHeaderFixedBytes + *body;
  if (input.size() < total) return 0;
  auto header = fastchat::protocol::decode_proxy_header(input.substr(0, total));
  if (header && header->source_address.size() > 45) __builtin_trap();  // INET6_ADDRSTRLEN
  return 0;
}
