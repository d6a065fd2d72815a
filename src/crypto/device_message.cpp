#include "crypto/device_message.h"

#include <algorithm>
#include <tuple>

#include "crypto/byte_io.h"
#include "crypto/ratchet_message.h"

namespace fastchat::crypto {
namespace {

// Both ratchet forms are far below this; it only bounds what a decoder accepts.
constexpr std::size_t kMaxEntryBytes = 16 * 1024 * 1024;

Status malformed(std::string_view why) {
  return Status(Code::kCrypto, "malformed per-device message: " + std::string(why));
}

bool is_ratchet_form(std::string_view message) {
  if (message.empty()) return false;
  const auto tag = static_cast<unsigned char>(message.front());
  return tag == kRatchetMessageV1 || tag == kPrekeyMessageV1;
}

auto order_key(const DeviceEntry& e) {
  return std::make_tuple(e.to, e.device_id);
}

// The entries' rules, shared by both directions; `entries` must be sorted.
Status check_entries(const std::vector<DeviceEntry>& entries) {
  if (entries.empty()) return malformed("no device");
  if (entries.size() > kMaxDeviceEntries) return malformed("too many devices");
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    if (e.device_id == 0) return malformed("device id 0");
    if (e.to != DeviceOwner::kRecipient && e.to != DeviceOwner::kSender) {
      return malformed("unknown owner");
    }
    if (!is_ratchet_form(e.message)) return malformed("an entry is not a ratchet message");
    if (i > 0 && !(order_key(entries[i - 1]) < order_key(e))) {
      return malformed("devices repeated or out of order");
    }
  }
  return Status::ok();
}

}  // namespace

const DeviceEntry* DeviceMessage::find(DeviceOwner to, std::uint32_t device_id) const {
  for (const auto& e : entries) {
    if (e.to == to && e.device_id == device_id) return &e;
  }
  return nullptr;
}

Result<std::string> encode_device_message(DeviceMessage message) {
  if (message.sender_device == 0) return malformed("sender device 0");
  std::sort(message.entries.begin(), message.entries.end(),
            [](const DeviceEntry& a, const DeviceEntry& b) { return order_key(a) < order_key(b); });
  if (Status s = check_entries(message.entries); !s) return s;
  std::size_t size = 1 + 4 + 1;
  for (const auto& e : message.entries)
    size += 1 + 4 + 4 + e.message.size();
  detail::ByteWriter out(size);
  out.u8(kDeviceMessageV1);
  out.u32(message.sender_device);
  out.u8(static_cast<std::uint8_t>(message.entries.size()));
  for (const auto& e : message.entries) {
    out.u8(static_cast<std::uint8_t>(e.to));
    out.u32(e.device_id);
    out.long_bytes(e.message);
  }
  return out.take_public();
}

Result<DeviceMessage> decode_device_message(std::string_view bytes) {
  detail::ByteReader in(bytes);
  std::uint8_t tag = 0, count = 0;
  DeviceMessage message;
  if (!in.u8(tag) || tag != kDeviceMessageV1) return malformed("not a per-device message");
  if (!in.u32(message.sender_device) || !in.u8(count)) return malformed("short header");
  if (message.sender_device == 0) return malformed("sender device 0");
  if (count == 0 || count > kMaxDeviceEntries) return malformed("bad device count");
  message.entries.reserve(count);
  for (std::uint8_t i = 0; i < count; ++i) {
    DeviceEntry e;
    std::uint8_t to = 0;
    std::string_view body;
    if (!in.u8(to) || !in.u32(e.device_id) || !in.long_bytes(body, kMaxEntryBytes)) {
      return malformed("short entry");
    }
    e.to = static_cast<DeviceOwner>(to);
    e.message.assign(body);
    message.entries.push_back(std::move(e));
  }
  if (!in.at_end()) return malformed("trailing bytes");
  if (Status s = check_entries(message.entries); !s) return s;
  return message;
}

}  // namespace fastchat::crypto
