// Size limits of inbox messages: a message is only accepted when it can reach its
// recipient, as a push and as the only item of a SyncPage, with any seq, request id
// and time. Pure functions; thread-safe.
#pragma once

#include <cstddef>

#include "fastchat.pb.h"
#include "protocol/frame_codec.h"

namespace fastchat::protocol {

// Frame.request_id (up to 10 varint bytes), the Frame.sync_page and SyncPage.messages
// tags and lengths, and SyncPage.has_more, with room to spare.
inline constexpr std::size_t kSyncPageOverheadBytes = 32;
// The largest encoded InboxMessage that still fits a SyncPage (and so a push).
inline constexpr std::size_t kMaxInboxMessageBytes = kMaxFrameBytes - kSyncPageOverheadBytes;

// The largest encoded size of an InboxMessage with these variable fields (every
// integer field at its widest, message_id of 16 bytes).
std::size_t inbox_message_bound(std::size_t sender_bytes, std::size_t body_bytes,
                                std::size_t sealed_key_bytes);

// What `message` adds to a SyncPage: the repeated field's tag, length and bytes.
std::size_t sync_page_item_bytes(const wire::InboxMessage& message);

// Makes a message that can never fit a frame deliverable as a notice: drops body and
// sealed_key and sets `undeliverable`. Returns whether it had to.
bool strip_if_undeliverable(wire::InboxMessage& message);

}  // namespace fastchat::protocol
