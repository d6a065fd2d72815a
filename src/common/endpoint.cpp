#include "common/endpoint.h"

#include <charconv>

namespace fastchat {

namespace {

Result<std::uint16_t> parse_port(std::string_view text, bool allow_zero) {
  unsigned value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || (value == 0 && !allow_zero) ||
      value > 65535) {
    return Status(Code::kBadRequest, "not a valid port: '" + std::string(text) + "'");
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::string Endpoint::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Result<Endpoint> parse_endpoint(std::string_view text, std::uint16_t default_port,
                                bool allow_port_zero) {
  Endpoint endpoint;
  if (text.empty()) return Status(Code::kBadRequest, "empty server address");
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close == 1) {
      return Status(Code::kBadRequest, "bad IPv6 address: '" + std::string(text) + "'");
    }
    endpoint.host = std::string(text.substr(1, close - 1));
    auto rest = text.substr(close + 1);
    if (rest.empty()) {
      endpoint.port = default_port;
      return endpoint;
    }
    if (rest.front() != ':') {
      return Status(Code::kBadRequest, "expected ':' after ']' in '" + std::string(text) + "'");
    }
    auto port = parse_port(rest.substr(1), allow_port_zero);
    if (!port) return port.status();
    endpoint.port = *port;
    return endpoint;
  }
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    endpoint.host = std::string(text);
    endpoint.port = default_port;
    return endpoint;
  }
  if (text.find(':') != colon) {
    return Status(Code::kBadRequest, "write an IPv6 address in brackets, e.g. [::1]:7600: '" +
                                         std::string(text) + "'");
  }
  if (colon == 0) return Status(Code::kBadRequest, "missing host in '" + std::string(text) + "'");
  auto port = parse_port(text.substr(colon + 1), allow_port_zero);
  if (!port) return port.status();
  endpoint.host = std::string(text.substr(0, colon));
  endpoint.port = *port;
  return endpoint;
}

}  // namespace fastchat
