#include "protocol/inbox_limits.h"

#include <google/protobuf/io/coded_stream.h>

namespace fastchat::protocol {

namespace {

using google::protobuf::io::CodedOutputStream;

constexpr std::size_t kTagBytes = 1;  // InboxMessage's fields are all below 16
constexpr std::size_t kMaxVarintBytes = 10;
constexpr std::size_t kMessageIdBytes = 16;

std::size_t length_delimited(std::size_t bytes) {
  return kTagBytes + CodedOutputStream::VarintSize64(bytes) + bytes;
}

}  // namespace

std::size_t inbox_message_bound(std::size_t sender_bytes, std::size_t body_bytes,
                                std::size_t sealed_key_bytes) {
  constexpr std::size_t kVarintField = kTagBytes + kMaxVarintBytes;
  return kVarintField /* seq */ + length_delimited(kMessageIdBytes) +
         length_delimited(sender_bytes) + kVarintField /* group_id */ +
         length_delimited(body_bytes) + length_delimited(sealed_key_bytes) +
         kVarintField /* server_time_ms */ + kTagBytes + 1 /* undeliverable */;
}

std::size_t sync_page_item_bytes(const wire::InboxMessage& message) {
  return length_delimited(message.ByteSizeLong());
}

bool strip_if_undeliverable(wire::InboxMessage& message) {
  if (message.ByteSizeLong() <= kMaxInboxMessageBytes) return false;
  message.clear_body();
  message.clear_sealed_key();
  message.set_undeliverable(true);
  return true;
}

}  // namespace fastchat::protocol
