// A stored inbox item as the wire's InboxMessage (a push, or an item of a SyncPage).
// Moves the item's strings out.
#pragma once

#include <utility>

#include "fastchat.pb.h"
#include "store/store.h"

namespace fastchat::server {

inline void to_inbox_message(store::InboxItem&& item, wire::InboxMessage& out) {
  out.set_seq(item.seq);
  out.set_message_id(item.message_id.to_bytes());
  out.set_sender(std::move(item.sender));
  out.set_group_id(item.group_id);
  out.set_body(std::move(item.body));
  out.set_sealed_key(std::move(item.sealed_key));
  out.set_server_time_ms(static_cast<std::uint64_t>(item.server_time_ms));
}

}  // namespace fastchat::server
