#include "client/history_sealing.h"

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <vector>

namespace fastchat::client::history_sealing {

namespace {

constexpr std::string_view kPeer = "messages.peer";
constexpr std::string_view kBody = "messages.body";
constexpr std::string_view kFile = "file_transfers.sealed";
constexpr std::string_view kMembers = "group_heads.members";
constexpr std::string_view kEventNames = "membership_events.names";
constexpr std::size_t kMaxField = 64u << 20;

void put_u64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>(v >> shift));
}

// Each field: four length bytes (big-endian), then its bytes.
void put_field(std::string& out, std::string_view field) {
  const auto n = static_cast<std::uint32_t>(field.size());
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>(n >> shift));
  out.append(field);
}

std::string fields(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view part : parts)
    put_field(out, part);
  return out;
}

// Exactly `count` fields and nothing after them; nullopt otherwise.
std::optional<std::vector<std::string>> read_fields(std::string_view in, std::size_t count) {
  std::vector<std::string> out;
  while (out.size() < count) {
    if (in.size() < 4) return std::nullopt;
    std::uint32_t n = 0;
    for (int i = 0; i < 4; ++i)
      n = (n << 8) | static_cast<std::uint8_t>(in[static_cast<std::size_t>(i)]);
    in.remove_prefix(4);
    if (n > kMaxField || in.size() < n) return std::nullopt;
    out.emplace_back(in.substr(0, n));
    in.remove_prefix(n);
  }
  if (!in.empty()) return std::nullopt;
  return out;
}

// The row a message body belongs to: every other column of it (id, peer tag, group,
// direction, times, size, the changed-key mark), so a body moved to another row, a row
// moved to another conversation, or a changed column does not open.
std::string message_row(const ChatMessage& m, std::string_view peer_tag) {
  std::string row = fields({m.id.bytes(), peer_tag});
  for (std::uint64_t v :
       {std::uint64_t{m.group_id}, m.seq, static_cast<std::uint64_t>(m.sent_at_ms),
        static_cast<std::uint64_t>(m.server_time_ms), m.file_size}) {
    put_u64(row, v);
  }
  row.push_back(m.outgoing ? '\1' : '\0');
  row.push_back(m.key_changed ? '\1' : '\0');
  return row;
}

std::string group_row(GroupId group, std::uint64_t seq) {
  std::string row;
  put_u64(row, group);
  put_u64(row, seq);
  return row;
}

std::string event_row(const MembershipEvent& event) {
  std::string row = group_row(event.group_id, event.seq);
  row.push_back(static_cast<char>(event.kind));
  return row;
}

Status not_opened(std::string_view what) {
  return Status(Code::kCrypto, "history: " + std::string(what) +
                                   " does not open (tampered with, moved, or sealed by"
                                   " another identity): not shown");
}

}  // namespace

std::string peer_tag(const crypto::HistoryBox& box, std::string_view peer) {
  return box.tag(kPeer, peer);
}

std::string seal_message(const crypto::HistoryBox& box, const ChatMessage& m,
                         std::string_view tag) {
  return box.seal(kBody, message_row(m, tag),
                  fields({m.sender, m.peer, m.text, m.file_name, m.file_path}));
}

Status open_message(const crypto::HistoryBox& box, std::string_view tag, std::string_view sealed,
                    ChatMessage& m) {
  auto plain = box.open(kBody, message_row(m, tag), sealed);
  if (!plain) return not_opened("message " + m.id.to_hex());
  auto parts = read_fields(*plain, 5);
  if (!parts) return not_opened("message " + m.id.to_hex());
  m.sender = std::move((*parts)[0]);
  m.peer = std::move((*parts)[1]);
  m.text = std::move((*parts)[2]);
  m.file_name = std::move((*parts)[3]);
  m.file_path = std::move((*parts)[4]);
  return Status::ok();
}

std::string seal_file(const crypto::HistoryBox& box, std::string_view sender,
                      std::string_view file_id, std::string_view name, std::string_view mime_type) {
  return box.seal(kFile, fields({sender, file_id}), fields({name, mime_type}));
}

Result<std::pair<std::string, std::string>> open_file(const crypto::HistoryBox& box,
                                                      std::string_view sender,
                                                      std::string_view file_id,
                                                      std::string_view sealed) {
  auto plain = box.open(kFile, fields({sender, file_id}), sealed);
  if (!plain) return not_opened("a file transfer's name");
  auto parts = read_fields(*plain, 2);
  if (!parts) return not_opened("a file transfer's name");
  return std::make_pair(std::move((*parts)[0]), std::move((*parts)[1]));
}

std::string seal_members(const crypto::HistoryBox& box, GroupId group, std::string_view members) {
  return box.seal(kMembers, group_row(group, 0), members);
}

Result<std::string> open_members(const crypto::HistoryBox& box, GroupId group,
                                 std::string_view sealed) {
  auto plain = box.open(kMembers, group_row(group, 0), sealed);
  if (!plain) return not_opened("a group's member list");
  return std::move(*plain);
}

std::string seal_event_names(const crypto::HistoryBox& box, const MembershipEvent& event) {
  return box.seal(kEventNames, event_row(event), fields({event.actor, event.subject}));
}

Status open_event_names(const crypto::HistoryBox& box, std::string_view sealed,
                        MembershipEvent& event) {
  auto plain = box.open(kEventNames, event_row(event), sealed);
  if (!plain) return not_opened("a membership event");
  auto parts = read_fields(*plain, 2);
  if (!parts) return not_opened("a membership event");
  event.actor = std::move((*parts)[0]);
  event.subject = std::move((*parts)[1]);
  return Status::ok();
}

}  // namespace fastchat::client::history_sealing
