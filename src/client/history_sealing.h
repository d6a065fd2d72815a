// What history.db keeps sealed (crypto::HistoryBox, docs/decisions.md "`history.db`
// sealed per column") and the byte layouts of those values: a message's words and names
// in one sealed body bound to the row's other columns; a file transfer's name and type
// bound to (sender, file id); a group's member list bound to the group, the names in
// its membership events to (group, seq, action). Private to client/history_store*.cpp.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "client/client.h"
#include "common/status.h"
#include "crypto/history_box.h"

namespace fastchat::client::history_sealing {

// The keyed tag that stands in for a direct message's peer (lookup by conversation).
std::string peer_tag(const crypto::HistoryBox& box, std::string_view peer);

// messages.body: sender, peer, text, file name, file path of `m`.
std::string seal_message(const crypto::HistoryBox& box, const ChatMessage& m,
                         std::string_view peer_tag);
// Fills those fields of `m` (whose other fields are the row's); kCrypto when the body
// does not open for this row.
Status open_message(const crypto::HistoryBox& box, std::string_view peer_tag,
                    std::string_view sealed, ChatMessage& m);

// file_transfers.sealed: the file's name and MIME type.
std::string seal_file(const crypto::HistoryBox& box, std::string_view sender,
                      std::string_view file_id, std::string_view name, std::string_view mime_type);
Result<std::pair<std::string, std::string>> open_file(const crypto::HistoryBox& box,
                                                      std::string_view sender,
                                                      std::string_view file_id,
                                                      std::string_view sealed);

// group_heads.members (the encoded member list) and membership_events' actor and subject.
std::string seal_members(const crypto::HistoryBox& box, GroupId group, std::string_view members);
Result<std::string> open_members(const crypto::HistoryBox& box, GroupId group,
                                 std::string_view sealed);
// Bound to the event's (group, seq, action).
std::string seal_event_names(const crypto::HistoryBox& box, const MembershipEvent& event);
// Fills actor and subject of `event`, whose group, seq and kind are the row's.
Status open_event_names(const crypto::HistoryBox& box, std::string_view sealed,
                        MembershipEvent& event);

}  // namespace fastchat::client::history_sealing
