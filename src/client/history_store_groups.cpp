// HistoryStore's verified group membership (the rest is in history_store.cpp).
#include <spdlog/spdlog.h>

#include <algorithm>

#include "client/history_sealing.h"
#include "client/history_statement.h"
#include "client/history_store.h"

namespace fastchat::client {

std::optional<crypto::MembershipChain> HistoryStore::group_head(GroupId group) {
  auto stmt = prepare("SELECT seq, head_hash, members FROM group_heads WHERE group_id = ?");
  if (!stmt.valid()) return std::nullopt;
  stmt.bind(1, static_cast<std::int64_t>(group));
  if (stmt.step() != SQLITE_ROW) return std::nullopt;
  // Unreadable or not opening: verified again from the start.
  auto encoded = history_sealing::open_members(box_, group, stmt.blob(2));
  if (!encoded) {
    spdlog::warn("{}", encoded.status().message());
    return std::nullopt;
  }
  auto members = crypto::decode_members(*encoded);
  if (!members) return std::nullopt;
  return crypto::MembershipChain(group, static_cast<std::uint64_t>(stmt.int64(0)), stmt.blob(1),
                                 std::move(*members));
}

Status HistoryStore::save_group_head(const crypto::MembershipChain& chain,
                                     const std::vector<MembershipEvent>& events) {
  auto tx = Transaction::begin(*this);
  if (!tx) return tx.status();
  {
    auto head = prepare(
        "INSERT INTO group_heads(group_id, seq, head_hash, members) VALUES(?,?,?,?)"
        " ON CONFLICT(group_id) DO UPDATE SET seq = excluded.seq,"
        " head_hash = excluded.head_hash, members = excluded.members");
    if (!head.valid()) return error("save_group_head");
    head.bind(1, static_cast<std::int64_t>(chain.group_id()))
        .bind(2, static_cast<std::int64_t>(chain.seq()))
        .bind_blob(3, chain.head_hash())
        .bind_blob(4, history_sealing::seal_members(box_, chain.group_id(),
                                                    crypto::encode_members(chain.members())));
    if (head.step() != SQLITE_DONE) return error("save_group_head");
  }
  for (const auto& e : events) {
    auto event = prepare(
        "INSERT OR IGNORE INTO membership_events(group_id, seq, action, names, created_ms)"
        " VALUES(?,?,?,?,?)");
    if (!event.valid()) return error("save_group_head");
    event.bind(1, static_cast<std::int64_t>(e.group_id))
        .bind(2, static_cast<std::int64_t>(e.seq))
        .bind(3, static_cast<std::int64_t>(e.kind))
        .bind_blob(4, history_sealing::seal_event_names(box_, e))
        .bind(5, e.at_ms);
    if (event.step() != SQLITE_DONE) return error("save_group_head");
  }
  return tx->commit();
}

Result<std::vector<MembershipEvent>> HistoryStore::membership_events(GroupId group,
                                                                     std::size_t limit) {
  auto stmt = prepare(
      "SELECT seq, action, names, created_ms FROM membership_events"
      " WHERE group_id = ? ORDER BY seq DESC LIMIT ?");
  if (!stmt.valid()) return error("membership_events");
  stmt.bind(1, static_cast<std::int64_t>(group))
      .bind(2, limit == 0 ? -1 : static_cast<std::int64_t>(limit));
  std::vector<MembershipEvent> out;
  int rc;
  while ((rc = stmt.step()) == SQLITE_ROW) {
    MembershipEvent e;
    e.group_id = group;
    e.seq = static_cast<std::uint64_t>(stmt.int64(0));
    const std::int64_t kind = stmt.int64(1);
    if (kind < 0 || kind > static_cast<std::int64_t>(MembershipEvent::Kind::kLeft)) continue;
    e.kind = static_cast<MembershipEvent::Kind>(kind);
    if (Status s = history_sealing::open_event_names(box_, stmt.blob(2), e); !s) return s;
    e.at_ms = stmt.int64(3);
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return error("membership_events");
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace fastchat::client
