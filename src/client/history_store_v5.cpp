// HistoryStore's migration to version 5 (encrypted at rest): the rows a plaintext
// history holds are sealed inside migrate()'s transaction, so a crash leaves version 4
// intact; once that is committed, scrub() rewrites the file so that the plaintext does
// not survive in free pages or in the WAL. The rest is in history_store.cpp.
#include <spdlog/spdlog.h>

#include <memory>
#include <vector>

#include "client/history_sealing.h"
#include "client/history_statement.h"
#include "client/history_store.h"

namespace fastchat::client {

namespace {

// A statement of the migration only: not cached (its columns are about to go).
using OneOff = std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)>;

OneOff prepare_once(sqlite3* db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) stmt = nullptr;
  return OneOff(stmt, &sqlite3_finalize);
}

}  // namespace

Status HistoryStore::seal_plaintext_rows() {
  const auto failed = [this] { return error("sealing the plaintext history"); };

  // Messages, a page at a time (a history can be large).
  const OneOff select_messages =
      prepare_once(db_,
                   "SELECT pos, id, group_id, outgoing, sender, peer, text, file_name, file_path,"
                   " seq, sent_at_ms, server_time_ms, file_size, key_changed"
                   " FROM messages WHERE pos > ? ORDER BY pos LIMIT 512");
  const OneOff update_message =
      prepare_once(db_, "UPDATE messages SET peer = ?, body = ? WHERE pos = ?");
  if (!select_messages || !update_message) return failed();
  std::int64_t after = 0;
  for (;;) {
    std::vector<std::pair<std::int64_t, ChatMessage>> page;
    {
      Stmt select(select_messages.get());
      select.bind(1, after);
      int rc;
      while ((rc = select.step()) == SQLITE_ROW) {
        ChatMessage m;
        if (auto id = MessageId::from_bytes(select.blob(1))) m.id = *id;
        m.group_id = static_cast<GroupId>(select.int64(2));
        m.outgoing = select.int64(3) != 0;
        m.sender = select.text(4);
        m.peer = select.text(5);
        m.text = select.text(6);
        m.file_name = select.text(7);
        m.file_path = select.text(8);
        m.seq = static_cast<std::uint64_t>(select.int64(9));
        m.sent_at_ms = select.int64(10);
        m.server_time_ms = select.int64(11);
        m.file_size = static_cast<std::uint64_t>(select.int64(12));
        m.key_changed = select.int64(13) != 0;
        page.emplace_back(select.int64(0), std::move(m));
      }
      if (rc != SQLITE_DONE) return failed();
    }
    if (page.empty()) break;
    for (const auto& [pos, m] : page) {
      const std::string tag = history_sealing::peer_tag(box_, m.group_id == 0 ? m.peer : "");
      Stmt update(update_message.get());
      update.bind_blob(1, tag)
          .bind_blob(2, history_sealing::seal_message(box_, m, tag))
          .bind(3, pos);
      if (update.step() != SQLITE_DONE) return failed();
    }
    after = page.back().first;
  }

  // File transfers in progress.
  const OneOff select_files =
      prepare_once(db_, "SELECT sender, file_id, name, mime_type FROM file_transfers");
  const OneOff update_file =
      prepare_once(db_, "UPDATE file_transfers SET sealed = ? WHERE sender = ? AND file_id = ?");
  if (!select_files || !update_file) return failed();
  struct File {
    std::string sender, file_id, name, mime_type;
  };
  std::vector<File> files;
  {
    Stmt select(select_files.get());
    int rc;
    while ((rc = select.step()) == SQLITE_ROW)
      files.push_back({select.text(0), select.blob(1), select.text(2), select.text(3)});
    if (rc != SQLITE_DONE) return failed();
  }
  for (const auto& f : files) {
    Stmt update(update_file.get());
    update.bind_blob(1, history_sealing::seal_file(box_, f.sender, f.file_id, f.name, f.mime_type))
        .bind_text(2, f.sender)
        .bind_blob(3, f.file_id);
    if (update.step() != SQLITE_DONE) return failed();
  }

  // Verified group member lists and the names in membership events.
  const OneOff select_heads = prepare_once(db_, "SELECT group_id, members FROM group_heads");
  const OneOff update_head =
      prepare_once(db_, "UPDATE group_heads SET members = ? WHERE group_id = ?");
  const OneOff select_events =
      prepare_once(db_, "SELECT group_id, seq, action, actor, subject FROM membership_events");
  const OneOff update_event =
      prepare_once(db_, "UPDATE membership_events SET names = ? WHERE group_id = ? AND seq = ?");
  if (!select_heads || !update_head || !select_events || !update_event) return failed();
  std::vector<std::pair<GroupId, std::string>> heads;
  {
    Stmt select(select_heads.get());
    int rc;
    while ((rc = select.step()) == SQLITE_ROW)
      heads.emplace_back(static_cast<GroupId>(select.int64(0)), select.blob(1));
    if (rc != SQLITE_DONE) return failed();
  }
  for (const auto& [group, members] : heads) {
    Stmt update(update_head.get());
    update.bind_blob(1, history_sealing::seal_members(box_, group, members))
        .bind(2, static_cast<std::int64_t>(group));
    if (update.step() != SQLITE_DONE) return failed();
  }
  std::vector<MembershipEvent> events;
  {
    Stmt select(select_events.get());
    int rc;
    while ((rc = select.step()) == SQLITE_ROW) {
      MembershipEvent e;
      e.group_id = static_cast<GroupId>(select.int64(0));
      e.seq = static_cast<std::uint64_t>(select.int64(1));
      e.kind = static_cast<MembershipEvent::Kind>(select.int64(2));
      e.actor = select.text(3);
      e.subject = select.text(4);
      events.push_back(std::move(e));
    }
    if (rc != SQLITE_DONE) return failed();
  }
  for (const auto& e : events) {
    Stmt update(update_event.get());
    update.bind_blob(1, history_sealing::seal_event_names(box_, e))
        .bind(2, static_cast<std::int64_t>(e.group_id))
        .bind(3, static_cast<std::int64_t>(e.seq));
    if (update.step() != SQLITE_DONE) return failed();
  }
  return Status::ok();
}

void HistoryStore::scrub() {
  {
    auto pending = prepare("SELECT 1 FROM meta WHERE key = 'scrub_pending'");
    if (!pending.valid() || pending.step() != SQLITE_ROW) return;
  }
  // VACUUM writes a new file of the live (sealed) rows only; TRUNCATE then empties the
  // WAL, whose older frames may still hold plaintext pages.
  Status s = exec("VACUUM");
  if (s) s = exec("DELETE FROM meta WHERE key = 'scrub_pending'");
  if (s) s = exec("PRAGMA wal_checkpoint(TRUNCATE)");
  if (!s) {
    spdlog::warn(
        "history: the plaintext left by an older version is not wiped yet ({});"
        " the next start tries again",
        s.message());
  }
}

}  // namespace fastchat::client
