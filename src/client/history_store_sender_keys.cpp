// HistoryStore's Sender Keys state (docs/e2ee-v2.md, "Sender Keys for groups"); the rest
// is in history_store.cpp. Every state blob arrives sealed (crypto::StateBox).
#include "client/history_statement.h"
#include "client/history_store.h"

namespace fastchat::client {

std::optional<HistoryStore::OwnSenderKey> HistoryStore::own_sender_key(GroupId group,
                                                                       std::uint32_t device) {
  auto stmt =
      prepare("SELECT state, created_seq FROM own_sender_keys WHERE group_id = ? AND device = ?");
  if (!stmt.valid()) return std::nullopt;
  stmt.bind(1, static_cast<std::int64_t>(group)).bind(2, device);
  if (stmt.step() != SQLITE_ROW) return std::nullopt;
  return OwnSenderKey{stmt.blob(0), static_cast<std::uint64_t>(stmt.int64(1))};
}

Status HistoryStore::save_own_sender_key(GroupId group, std::uint32_t device,
                                         const OwnSenderKey& key) {
  auto stmt = prepare(
      "INSERT OR REPLACE INTO own_sender_keys(group_id, device, created_seq, state)"
      " VALUES(?,?,?,?)");
  if (!stmt.valid()) return error("save_own_sender_key");
  stmt.bind(1, static_cast<std::int64_t>(group))
      .bind(2, device)
      .bind(3, static_cast<std::int64_t>(key.created_seq))
      .bind_blob(4, key.state);
  if (stmt.step() != SQLITE_DONE) return error("save_own_sender_key");
  return Status::ok();
}

Result<std::vector<std::string>> HistoryStore::sender_key_recipients(GroupId group,
                                                                     std::uint32_t key_id) {
  auto stmt = prepare(
      "SELECT DISTINCT username FROM sender_key_recipients WHERE group_id = ? AND key_id = ?"
      " ORDER BY username");
  if (!stmt.valid()) return error("sender_key_recipients");
  stmt.bind(1, static_cast<std::int64_t>(group)).bind(2, key_id);
  std::vector<std::string> out;
  int rc;
  while ((rc = stmt.step()) == SQLITE_ROW)
    out.push_back(stmt.text(0));
  if (rc != SQLITE_DONE) return error("sender_key_recipients");
  return out;
}

bool HistoryStore::has_sender_key_recipient(GroupId group, std::uint32_t key_id,
                                            std::string_view username, std::string_view identity) {
  auto stmt = prepare(
      "SELECT 1 FROM sender_key_recipients WHERE group_id = ? AND key_id = ? AND username = ?"
      " AND identity = ?");
  if (!stmt.valid()) return false;
  stmt.bind(1, static_cast<std::int64_t>(group))
      .bind(2, key_id)
      .bind_text(3, username)
      .bind_blob(4, identity);
  return stmt.step() == SQLITE_ROW;
}

Status HistoryStore::add_sender_key_recipient(GroupId group, std::uint32_t key_id,
                                              std::string_view username,
                                              std::string_view identity) {
  auto stmt = prepare(
      "INSERT OR IGNORE INTO sender_key_recipients(group_id, key_id, username, identity)"
      " VALUES(?,?,?,?)");
  if (!stmt.valid()) return error("add_sender_key_recipient");
  stmt.bind(1, static_cast<std::int64_t>(group))
      .bind(2, key_id)
      .bind_text(3, username)
      .bind_blob(4, identity);
  if (stmt.step() != SQLITE_DONE) return error("add_sender_key_recipient");
  return Status::ok();
}

Result<bool> HistoryStore::removal_after(GroupId group, std::uint64_t seq) {
  auto stmt = prepare(
      "SELECT 1 FROM membership_events WHERE group_id = ? AND seq > ? AND action IN (?, ?)"
      " LIMIT 1");
  if (!stmt.valid()) return error("removal_after");
  stmt.bind(1, static_cast<std::int64_t>(group))
      .bind(2, static_cast<std::int64_t>(seq))
      .bind(3, static_cast<std::int64_t>(MembershipEvent::Kind::kRemoved))
      .bind(4, static_cast<std::int64_t>(MembershipEvent::Kind::kLeft));
  const int rc = stmt.step();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return error("removal_after");
  return rc == SQLITE_ROW;
}

std::optional<HistoryStore::SealedSenderKey> HistoryStore::received_sender_key(
    GroupId group, std::string_view sender, std::uint32_t device) {
  auto stmt = prepare(
      "SELECT state, membership_seq FROM received_sender_keys WHERE group_id = ? AND username = ? "
      "AND device = ?");
  if (!stmt.valid()) return std::nullopt;
  stmt.bind(1, static_cast<std::int64_t>(group)).bind_text(2, sender).bind(3, device);
  if (stmt.step() != SQLITE_ROW) return std::nullopt;
  return SealedSenderKey{stmt.blob(0), static_cast<std::uint64_t>(stmt.int64(1))};
}

Status HistoryStore::save_received_sender_key(GroupId group, std::string_view sender,
                                              std::uint32_t device, std::uint64_t membership_seq,
                                              std::string_view sealed_state) {
  auto stmt = prepare(
      "INSERT OR REPLACE INTO received_sender_keys(group_id, username, device, membership_seq,"
      " state) VALUES(?,?,?,?,?)");
  if (!stmt.valid()) return error("save_received_sender_key");
  stmt.bind(1, static_cast<std::int64_t>(group))
      .bind_text(2, sender)
      .bind(3, device)
      .bind(4, static_cast<std::int64_t>(membership_seq))
      .bind_blob(5, sealed_state);
  if (stmt.step() != SQLITE_DONE) return error("save_received_sender_key");
  return Status::ok();
}

Status HistoryStore::delete_received_sender_key(GroupId group, std::string_view sender,
                                                std::uint32_t device) {
  auto stmt = prepare(
      "DELETE FROM received_sender_keys WHERE group_id = ? AND username = ? AND device = ?");
  if (!stmt.valid()) return error("delete_received_sender_key");
  stmt.bind(1, static_cast<std::int64_t>(group)).bind_text(2, sender).bind(3, device);
  if (stmt.step() != SQLITE_DONE) return error("delete_received_sender_key");
  return Status::ok();
}

std::vector<std::uint32_t> HistoryStore::received_sender_key_devices(GroupId group,
                                                                     std::string_view sender) {
  std::vector<std::uint32_t> devices;
  auto stmt = prepare(
      "SELECT device FROM received_sender_keys WHERE group_id = ? AND username = ? ORDER BY "
      "device");
  if (!stmt.valid()) return devices;
  stmt.bind(1, static_cast<std::int64_t>(group)).bind_text(2, sender);
  while (stmt.step() == SQLITE_ROW)
    devices.push_back(static_cast<std::uint32_t>(stmt.int64(0)));
  return devices;
}

Result<std::vector<HistoryStore::PendingGroupMessage>> HistoryStore::keep_pending_group_message(
    const PendingGroupMessage& message, std::int64_t now_ms) {
  std::vector<PendingGroupMessage> dropped;
  auto tx = Transaction::begin(*this);
  if (!tx) return tx.status();
  {
    auto insert = prepare(
        "INSERT OR IGNORE INTO pending_group_messages(message_id, group_id, sender, item,"
        " kept_ms) VALUES(?,?,?,?,?)");
    if (!insert.valid()) return error("keep_pending_group_message");
    insert.bind_blob(1, message.id.bytes())
        .bind(2, static_cast<std::int64_t>(message.group))
        .bind_text(3, message.sender)
        .bind_blob(4, message.item)
        .bind(5, now_ms);
    if (insert.step() != SQLITE_DONE) return error("keep_pending_group_message");
  }
  // Past the age, then beyond the cap: the oldest go (the caller reports them).
  auto collect = [&](Stmt& select) {
    int rc;
    while ((rc = select.step()) == SQLITE_ROW) {
      auto id = MessageId::from_bytes(select.blob(0));
      if (!id) continue;
      dropped.push_back(
          PendingGroupMessage{*id, static_cast<GroupId>(select.int64(1)), select.text(2), {}});
    }
    return rc == SQLITE_DONE;
  };
  {
    auto expired = prepare(
        "SELECT message_id, group_id, sender FROM pending_group_messages WHERE kept_ms < ?");
    if (!expired.valid()) return error("keep_pending_group_message");
    expired.bind(1, now_ms - kMaxPendingGroupMessageAgeMs);
    if (!collect(expired)) return error("keep_pending_group_message");
  }
  for (const auto& d : dropped) {
    if (Status s = drop_pending_group_message(d.id); !s) return s;
  }
  const std::size_t count = pending_group_message_count();
  if (count > kMaxPendingGroupMessages) {
    auto oldest = prepare(
        "SELECT message_id, group_id, sender FROM pending_group_messages"
        " ORDER BY kept_ms, rowid LIMIT ?");
    if (!oldest.valid()) return error("keep_pending_group_message");
    oldest.bind(1, static_cast<std::int64_t>(count - kMaxPendingGroupMessages));
    const std::size_t before = dropped.size();
    if (!collect(oldest)) return error("keep_pending_group_message");
    for (std::size_t i = before; i < dropped.size(); ++i) {
      if (Status s = drop_pending_group_message(dropped[i].id); !s) return s;
    }
  }
  if (Status s = tx->commit(); !s) return s;
  return dropped;
}

Result<std::vector<HistoryStore::PendingGroupMessage>> HistoryStore::pending_group_messages(
    GroupId group, std::string_view sender) {
  auto stmt = prepare(
      "SELECT message_id, item FROM pending_group_messages WHERE group_id = ? AND sender = ?"
      " ORDER BY kept_ms, rowid");
  if (!stmt.valid()) return error("pending_group_messages");
  stmt.bind(1, static_cast<std::int64_t>(group)).bind_text(2, sender);
  std::vector<PendingGroupMessage> out;
  int rc;
  while ((rc = stmt.step()) == SQLITE_ROW) {
    auto id = MessageId::from_bytes(stmt.blob(0));
    if (!id) continue;
    out.push_back(PendingGroupMessage{*id, group, std::string(sender), stmt.blob(1)});
  }
  if (rc != SQLITE_DONE) return error("pending_group_messages");
  return out;
}

Status HistoryStore::drop_pending_group_message(const MessageId& id) {
  auto stmt = prepare("DELETE FROM pending_group_messages WHERE message_id = ?");
  if (!stmt.valid()) return error("drop_pending_group_message");
  stmt.bind_blob(1, id.bytes());
  if (stmt.step() != SQLITE_DONE) return error("drop_pending_group_message");
  return Status::ok();
}

std::size_t HistoryStore::pending_group_message_count() {
  auto stmt = prepare("SELECT count(*) FROM pending_group_messages");
  if (!stmt.valid() || stmt.step() != SQLITE_ROW) return 0;
  return static_cast<std::size_t>(stmt.int64(0));
}

}  // namespace fastchat::client
