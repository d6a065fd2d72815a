// HistoryStore's verified group membership (the rest is in history_store.cpp).
#include <algorithm>

#include "client/history_statement.h"
#include "client/history_store.h"

namespace fastchat::client {

std::optional<crypto::MembershipChain> HistoryStore::group_head(GroupId group) {
  auto stmt = prepare("SELECT seq, head_hash, members FROM group_heads WHERE group_id = ?");
  if (!stmt.valid()) return std::nullopt;
  stmt.bind(1, static_cast<std::int64_t>(group));
  if (stmt.step() != SQLITE_ROW) return std::nullopt;
  auto members = crypto::decode_members(stmt.blob(2));
  if (!members) return std::nullopt;  // unreadable: verified again from the start
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
        .bind_blob(4, crypto::encode_members(chain.members()));
    if (head.step() != SQLITE_DONE) return error("save_group_head");
  }
  for (const auto& e : events) {
    auto event = prepare(
        "INSERT OR IGNORE INTO membership_events(group_id, seq, actor, action, subject,"
        " created_ms) VALUES(?,?,?,?,?,?)");
    if (!event.valid()) return error("save_group_head");
    event.bind(1, static_cast<std::int64_t>(e.group_id))
        .bind(2, static_cast<std::int64_t>(e.seq))
        .bind_text(3, e.actor)
        .bind(4, static_cast<std::int64_t>(e.kind))
        .bind_text(5, e.subject)
        .bind(6, e.at_ms);
    if (event.step() != SQLITE_DONE) return error("save_group_head");
  }
  return tx->commit();
}

Result<std::vector<MembershipEvent>> HistoryStore::membership_events(GroupId group,
                                                                     std::size_t limit) {
  auto stmt = prepare(
      "SELECT seq, actor, action, subject, created_ms FROM membership_events"
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
    e.actor = stmt.text(1);
    const std::int64_t kind = stmt.int64(2);
    if (kind < 0 || kind > static_cast<std::int64_t>(MembershipEvent::Kind::kLeft)) continue;
    e.kind = static_cast<MembershipEvent::Kind>(kind);
    e.subject = stmt.text(3);
    e.at_ms = stmt.int64(4);
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return error("membership_events");
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace fastchat::client
