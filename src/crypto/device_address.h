// The address of one device of one user, by which E2EE v2 keys, prekeys, sessions and
// sender keys are all keyed (issue 11 item 4). Value type.
#pragma once

#include <compare>
#include <cstdint>
#include <string>

namespace fastchat::crypto {

inline constexpr std::size_t kMaxAddressUser = 255;  // one length byte in every encoding

struct DeviceAddress {
  std::string user;  // canonical username, at most kMaxAddressUser bytes
  std::uint32_t device_id = 0;

  auto operator<=>(const DeviceAddress&) const = default;
};

}  // namespace fastchat::crypto
