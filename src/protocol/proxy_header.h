// The PROXY protocol version 2 header (haproxy.org/download/2.9/doc/proxy-protocol.txt,
// §2.2) that a TCP load balancer or proxy (HAProxy, nginx, AWS NLB) sends before the
// client's first byte, naming the client's real address. Only a server told to expect
// it (--proxy-protocol) reads one, and then requires it on every connection.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace fastchat::protocol {

inline constexpr std::size_t kProxyHeaderFixedBytes = 16;  // signature, command, family, length
// Addresses (at most 36 bytes) and TLVs; proxies send a few dozen bytes of TLVs.
inline constexpr std::size_t kMaxProxyHeaderBody = 512;

struct ProxyHeader {
  // The client's address ("203.0.113.7", "2001:db8::1"); empty for a LOCAL header (the
  // proxy's own health check) or an unspecified family: use the socket's peer.
  std::string source_address;
  std::uint16_t source_port = 0;
};

// From the first 16 bytes: how many bytes of body follow. kBadRequest when they are not
// a version 2 header, or announce more than kMaxProxyHeaderBody.
Result<std::size_t> proxy_header_body_size(std::string_view fixed);

// Decodes a whole header (the 16 bytes and the body). kBadRequest for anything but a
// well-formed v2 PROXY (TCP or UDP over IPv4/IPv6, or UNSPEC) or LOCAL header.
Result<ProxyHeader> decode_proxy_header(std::string_view header);

// A v2 PROXY header for a TCP connection from source to destination (IPv4 or IPv6
// literals of one family; kBadRequest otherwise): what a proxy sends. For tests and tools.
Result<std::string> encode_proxy_header(std::string_view source, std::uint16_t source_port,
                                        std::string_view destination,
                                        std::uint16_t destination_port);

}  // namespace fastchat::protocol
