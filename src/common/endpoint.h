// Endpoint: a host and port as written on command lines ("HOST:PORT", "HOST",
// "[v6]:PORT"). Value type; pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace fastchat {

inline constexpr std::uint16_t kDefaultPort = 7600;

struct Endpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = kDefaultPort;
  std::string to_string() const;
};

// A missing port means `default_port`. Port 0 ("any free port") is accepted only
// when `allow_port_zero` (listen addresses).
Result<Endpoint> parse_endpoint(std::string_view text, std::uint16_t default_port = kDefaultPort,
                                bool allow_port_zero = false);

}  // namespace fastchat
