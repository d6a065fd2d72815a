// A 1:1 message addressed per device (issue 11 item 4, docs/e2ee-v2.md "Devices"):
//   0x16 | sender device u32 | count u8 | count × (to u8 | device u32 | length u32 | message)
// `to` is 0 for a device of the recipient, 1 for another device of the sender; each
// `message` is a ratchet (0x11) or prekey (0x12) message for that one device. Entries
// are sorted by (to, device) without repeats, so one body has one form.
//
// A bare 0x11/0x12 body (a client before per-device bodies) came from kLegacyDeviceId.
// The sender device is not authenticated here: the ratchet's associated data binds both
// device ids, so a body re-addressed to another sender device does not decrypt.
// Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace fastchat::crypto {

inline constexpr unsigned char kDeviceMessageV1 = 0x16;
inline constexpr std::size_t kMaxDeviceEntries = 64;

enum class DeviceOwner : std::uint8_t { kRecipient = 0, kSender = 1 };

struct DeviceEntry {
  DeviceOwner to = DeviceOwner::kRecipient;
  std::uint32_t device_id = 0;
  std::string message;  // 0x11 or 0x12
};

struct DeviceMessage {
  std::uint32_t sender_device = 0;
  std::vector<DeviceEntry> entries;

  // The entry for one device, or nullptr.
  const DeviceEntry* find(DeviceOwner to, std::uint32_t device_id) const;
};

// Sorts the entries; kCrypto for a zero device id, a repeated device, no entry, more than
// kMaxDeviceEntries or an entry that is not a ratchet or prekey message.
Result<std::string> encode_device_message(DeviceMessage message);
// kCrypto on anything encode would not have written.
Result<DeviceMessage> decode_device_message(std::string_view bytes);

}  // namespace fastchat::crypto
