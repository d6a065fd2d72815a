#include "protocol/proxy_header.h"

#include <arpa/inet.h>

#include <array>
#include <cstring>

namespace fastchat::protocol {
namespace {

constexpr std::string_view kSignature("\r\n\r\n\0\r\nQUIT\n", 12);
constexpr std::uint8_t kVersion2 = 0x20;
constexpr std::uint8_t kCommandLocal = 0x0;
constexpr std::uint8_t kCommandProxy = 0x1;
constexpr std::uint8_t kFamilyUnspec = 0x0;
constexpr std::uint8_t kFamilyInet = 0x1;
constexpr std::uint8_t kFamilyInet6 = 0x2;
constexpr std::uint8_t kTransportStream = 0x1;
constexpr std::uint8_t kTransportDgram = 0x2;
constexpr std::size_t kInetAddressBytes = 12;   // 2 × 4 address bytes, 2 × 2 port bytes
constexpr std::size_t kInet6AddressBytes = 36;  // 2 × 16, 2 × 2

Status bad(std::string what) {
  return {Code::kBadRequest, "PROXY header: " + std::move(what)};
}

std::uint16_t read_u16(const char* at) {
  return static_cast<std::uint16_t>((static_cast<std::uint8_t>(at[0]) << 8) |
                                    static_cast<std::uint8_t>(at[1]));
}

void append_u16(std::string& out, std::uint16_t value) {
  out.push_back(static_cast<char>(value >> 8));
  out.push_back(static_cast<char>(value & 0xff));
}

}  // namespace

Result<std::size_t> proxy_header_body_size(std::string_view fixed) {
  if (fixed.size() < kProxyHeaderFixedBytes) return bad("shorter than 16 bytes");
  if (fixed.substr(0, kSignature.size()) != kSignature) return bad("no v2 signature");
  const auto version_command = static_cast<std::uint8_t>(fixed[12]);
  if ((version_command & 0xf0) != kVersion2) return bad("not version 2");
  const std::size_t body = read_u16(fixed.data() + 14);
  if (body > kMaxProxyHeaderBody) return bad("longer than " + std::to_string(kMaxProxyHeaderBody));
  return body;
}

Result<ProxyHeader> decode_proxy_header(std::string_view header) {
  auto body_size = proxy_header_body_size(header);
  if (!body_size) return body_size.status();
  if (header.size() != kProxyHeaderFixedBytes + *body_size) return bad("length mismatch");
  const auto command = static_cast<std::uint8_t>(header[12]) & 0x0f;
  const auto family = static_cast<std::uint8_t>(header[13]) >> 4;
  const auto transport = static_cast<std::uint8_t>(header[13]) & 0x0f;
  const std::string_view body = header.substr(kProxyHeaderFixedBytes);
  if (command == kCommandLocal) return ProxyHeader{};
  if (command != kCommandProxy) return bad("unknown command");
  if (family == kFamilyUnspec) return ProxyHeader{};
  if (transport != kTransportStream && transport != kTransportDgram) {
    return bad("unknown transport");
  }
  ProxyHeader out;
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (family == kFamilyInet) {
    if (body.size() < kInetAddressBytes) return bad("IPv4 addresses cut short");
    ::inet_ntop(AF_INET, body.data(), text.data(), text.size());
    out.source_port = read_u16(body.data() + 8);
  } else if (family == kFamilyInet6) {
    if (body.size() < kInet6AddressBytes) return bad("IPv6 addresses cut short");
    ::inet_ntop(AF_INET6, body.data(), text.data(), text.size());
    out.source_port = read_u16(body.data() + 32);
  } else {
    return bad("unsupported address family");  // AF_UNIX, or unknown
  }
  out.source_address = text.data();
  return out;
}

Result<std::string> encode_proxy_header(std::string_view source, std::uint16_t source_port,
                                        std::string_view destination,
                                        std::uint16_t destination_port) {
  const std::string src(source);
  const std::string dst(destination);
  std::array<unsigned char, 16> src_bytes{};
  std::array<unsigned char, 16> dst_bytes{};
  std::size_t address_bytes = 0;
  std::uint8_t family = 0;
  if (::inet_pton(AF_INET, src.c_str(), src_bytes.data()) == 1 &&
      ::inet_pton(AF_INET, dst.c_str(), dst_bytes.data()) == 1) {
    address_bytes = 4;
    family = kFamilyInet;
  } else if (::inet_pton(AF_INET6, src.c_str(), src_bytes.data()) == 1 &&
             ::inet_pton(AF_INET6, dst.c_str(), dst_bytes.data()) == 1) {
    address_bytes = 16;
    family = kFamilyInet6;
  } else {
    return bad("addresses must be IPv4 or IPv6 literals of one family");
  }
  std::string out(kSignature);
  out.push_back(static_cast<char>(kVersion2 | kCommandProxy));
  out.push_back(static_cast<char>((family << 4) | kTransportStream));
  append_u16(out, static_cast<std::uint16_t>(2 * address_bytes + 4));
  out.append(reinterpret_cast<const char*>(src_bytes.data()), address_bytes);
  out.append(reinterpret_cast<const char*>(dst_bytes.data()), address_bytes);
  append_u16(out, source_port);
  append_u16(out, destination_port);
  return out;
}

}  // namespace fastchat::protocol
