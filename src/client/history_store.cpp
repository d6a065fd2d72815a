#include "client/history_store.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "client/history_sealing.h"
#include "client/history_statement.h"

namespace fastchat::client {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS seen(id BLOB PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages(
  pos INTEGER PRIMARY KEY AUTOINCREMENT,
  id BLOB NOT NULL UNIQUE,
  seq INTEGER NOT NULL,
  sender TEXT NOT NULL,
  peer TEXT NOT NULL,
  group_id INTEGER NOT NULL,
  text TEXT NOT NULL,
  sent_at_ms INTEGER NOT NULL,
  server_time_ms INTEGER NOT NULL,
  outgoing INTEGER NOT NULL,
  file_name TEXT NOT NULL,
  file_path TEXT NOT NULL,
  file_size INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages(group_id, peer, pos);
CREATE TABLE IF NOT EXISTS identities(
  username TEXT PRIMARY KEY,
  sign_public_key BLOB NOT NULL,
  box_public_key BLOB NOT NULL,
  signature BLOB NOT NULL,
  pinned_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS file_transfers(
  sender TEXT NOT NULL,
  file_id BLOB NOT NULL,
  name TEXT NOT NULL,
  mime_type TEXT NOT NULL,
  total_size INTEGER NOT NULL,
  chunk_count INTEGER NOT NULL,
  received INTEGER NOT NULL,
  PRIMARY KEY(sender, file_id));
CREATE TABLE IF NOT EXISTS file_chunks(
  sender TEXT NOT NULL,
  file_id BLOB NOT NULL,
  idx INTEGER NOT NULL,
  PRIMARY KEY(sender, file_id, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deliveries(
  message_id BLOB NOT NULL,
  recipient TEXT NOT NULL,
  PRIMARY KEY(message_id, recipient)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS group_heads(
  group_id INTEGER PRIMARY KEY,
  seq INTEGER NOT NULL,
  head_hash BLOB NOT NULL,
  members BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS membership_events(
  group_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action INTEGER NOT NULL,
  subject TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY(group_id, seq)) WITHOUT ROWID;
)sql";

// Version 2: a contact's trust state. A changed key is kept beside the pinned one
// (pending) instead of replacing it; messages remember whether such a key was used.
constexpr const char* kMigrateTo2 = R"sql(
ALTER TABLE identities ADD COLUMN verified INTEGER NOT NULL DEFAULT 0;
ALTER TABLE identities ADD COLUMN pending_sign_public_key BLOB;
ALTER TABLE identities ADD COLUMN pending_box_public_key BLOB;
ALTER TABLE identities ADD COLUMN pending_signature BLOB;
ALTER TABLE identities ADD COLUMN pending_ms INTEGER;
ALTER TABLE messages ADD COLUMN key_changed INTEGER NOT NULL DEFAULT 0;
PRAGMA user_version = 2;
)sql";
// Version 3: E2EE v2 state (docs/e2ee-v2.md, "Where the state lives"). Each blob is
// sealed by the client (client/state_sealer.h) before it gets here: never a private key
// in plaintext on disk. One row of sessions per peer device and identity (a pending
// changed key gets its own, beside the pinned one's), one of prekeys per local
// device with the time its signed prekey was made (for the rotation schedule).
constexpr const char* kMigrateTo3 = R"sql(
CREATE TABLE IF NOT EXISTS peer_sessions(
  username TEXT NOT NULL,
  device INTEGER NOT NULL,
  identity BLOB NOT NULL,
  state BLOB NOT NULL,
  PRIMARY KEY(username, device, identity)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS local_prekeys(
  device INTEGER PRIMARY KEY,
  state BLOB NOT NULL,
  signed_at_ms INTEGER NOT NULL);
PRAGMA user_version = 3;
)sql";
// Version 4: Sender Keys (docs/e2ee-v2.md, "Sender Keys for groups"). States sealed
// like the sessions. This device's chain per group with the chain length it was made at,
// who got which key id, the chains received per (group, sender device), and group
// messages kept until their sender key arrives (the inbox item as received).
constexpr const char* kMigrateTo4 = R"sql(
CREATE TABLE IF NOT EXISTS own_sender_keys(
  group_id INTEGER NOT NULL,
  device INTEGER NOT NULL,
  created_seq INTEGER NOT NULL,
  state BLOB NOT NULL,
  PRIMARY KEY(group_id, device)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sender_key_recipients(
  group_id INTEGER NOT NULL,
  key_id INTEGER NOT NULL,
  username TEXT NOT NULL,
  identity BLOB NOT NULL,
  PRIMARY KEY(group_id, key_id, username, identity)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS received_sender_keys(
  group_id INTEGER NOT NULL,
  username TEXT NOT NULL,
  device INTEGER NOT NULL,
  membership_seq INTEGER NOT NULL,
  state BLOB NOT NULL,
  PRIMARY KEY(group_id, username, device)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pending_group_messages(
  message_id BLOB PRIMARY KEY,
  group_id INTEGER NOT NULL,
  sender TEXT NOT NULL,
  item BLOB NOT NULL,
  kept_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS pending_group_messages_by_sender
  ON pending_group_messages(group_id, sender, kept_ms);
PRAGMA user_version = 4;
)sql";
// Version 5: encrypted at rest (docs/decisions.md, "`history.db` sealed per column"). New
// columns for the sealed values first; history_store_v5.cpp fills them from the
// plaintext ones, which then go. A message's peer becomes a keyed tag (the conversation
// lookup); its words and names move into one sealed body.
constexpr const char* kMigrateTo5Add = R"sql(
ALTER TABLE messages ADD COLUMN body BLOB NOT NULL DEFAULT x'';
ALTER TABLE file_transfers ADD COLUMN sealed BLOB NOT NULL DEFAULT x'';
ALTER TABLE membership_events ADD COLUMN names BLOB NOT NULL DEFAULT x'';
)sql";
constexpr const char* kMigrateTo5Drop = R"sql(
DROP INDEX messages_by_conversation;
ALTER TABLE messages DROP COLUMN sender;
ALTER TABLE messages DROP COLUMN text;
ALTER TABLE messages DROP COLUMN file_name;
ALTER TABLE messages DROP COLUMN file_path;
ALTER TABLE messages RENAME COLUMN peer TO peer_tag;
CREATE INDEX messages_by_conversation ON messages(group_id, peer_tag, pos);
ALTER TABLE file_transfers DROP COLUMN name;
ALTER TABLE file_transfers DROP COLUMN mime_type;
ALTER TABLE membership_events DROP COLUMN actor;
ALTER TABLE membership_events DROP COLUMN subject;
PRAGMA user_version = 5;
)sql";
constexpr int kSchemaVersion = 5;

}  // namespace

Result<std::unique_ptr<HistoryStore>> HistoryStore::open(const std::string& path,
                                                         crypto::HistoryBox box) {
  if (path != ":memory:") {
    // Readable by the user only (what is not sealed is still metadata). SQLite gives
    // its -wal and -shm files the database file's mode.
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
      return Status(Code::kIo, "cannot open history " + path + ": " + std::strerror(errno));
    }
    (void)::fchmod(fd, 0600);
    ::close(fd);
  }
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    Status status(Code::kIo, std::string("cannot open history ") + path + ": " +
                                 (db ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_close(db);
    return status;
  }
  std::unique_ptr<HistoryStore> store(new HistoryStore(db, std::move(box)));
  sqlite3_busy_timeout(db, 2000);
  // Deleted rows are overwritten with zeros, not left in free pages.
  if (Status s = store->exec("PRAGMA secure_delete=ON"); !s) return s;
  if (path != ":memory:") {
    // Another process (a one-shot command) may use the same history: WAL lets it read
    // while we write; NORMAL is durable enough for a local copy the server backs.
    if (Status s = store->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"); !s) return s;
  }
  if (Status s = store->exec(kSchema); !s) return s;
  if (Status s = store->migrate(); !s) return s;
  store->scrub();
  return store;
}

HistoryStore::~HistoryStore() {
  for (auto& [sql, stmt] : statements_)
    sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Status HistoryStore::error(const char* what) const {
  return Status(Code::kIo, std::string("history: ") + what + ": " + sqlite3_errmsg(db_));
}

Status HistoryStore::exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    Status status(Code::kIo, std::string("history: ") + (message ? message : "exec failed"));
    sqlite3_free(message);
    return status;
  }
  return Status::ok();
}

Status HistoryStore::migrate() {
  int version = 0;
  {
    auto stmt = prepare("PRAGMA user_version");
    if (!stmt.valid() || stmt.step() != SQLITE_ROW) return error("migrate");
    version = static_cast<int>(stmt.int64(0));
  }
  if (version >= kSchemaVersion) return Status::ok();
  // Version 1 (and a fresh file, which the schema above made a version 1 one) and up.
  auto tx = Transaction::begin(*this);
  if (!tx) return tx.status();
  if (version < 2) {
    if (Status s = exec(kMigrateTo2); !s) return s;
  }
  if (version < 3) {
    if (Status s = exec(kMigrateTo3); !s) return s;
  }
  if (version < 4) {
    if (Status s = exec(kMigrateTo4); !s) return s;
  }
  if (Status s = exec(kMigrateTo5Add); !s) return s;
  if (Status s = seal_plaintext_rows(); !s) return s;
  if (Status s = exec(kMigrateTo5Drop); !s) return s;
  // A file that existed before (a fresh one is version 0) may keep plaintext in free
  // pages and in its WAL: scrub() rewrites it once this is committed.
  if (version >= 1) {
    if (Status s = exec("INSERT OR REPLACE INTO meta(key, value) VALUES('scrub_pending', 1)"); !s) {
      return s;
    }
  }
  return tx->commit();
}

Result<HistoryStore::Transaction> HistoryStore::Transaction::begin(HistoryStore& store) {
  // Outermost: a write transaction at once (another process may share the file);
  // nested: a savepoint, so add_message() and friends work inside a caller's transaction.
  if (Status s = store.exec(store.depth_ == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT nested"); !s) {
    return s;
  }
  ++store.depth_;
  return Transaction(&store);
}

HistoryStore::Transaction::Transaction(Transaction&& other) noexcept
    : store_(std::exchange(other.store_, nullptr)) {}

HistoryStore::Transaction::~Transaction() {
  rollback();
}

Status HistoryStore::Transaction::commit() {
  if (store_ == nullptr) return Status(Code::kIo, "history: the transaction is over");
  HistoryStore* store = std::exchange(store_, nullptr);
  const bool outermost = store->depth_ == 1;
  if (Status s = store->exec(outermost ? "COMMIT" : "RELEASE nested"); !s) {
    store_ = store;
    rollback();
    return s;
  }
  --store->depth_;
  return Status::ok();
}

void HistoryStore::Transaction::rollback() {
  if (store_ == nullptr) return;
  HistoryStore* store = std::exchange(store_, nullptr);
  const bool outermost = store->depth_ == 1;
  (void)store->exec(outermost ? "ROLLBACK" : "ROLLBACK TO nested; RELEASE nested");
  --store->depth_;
}

HistoryStore::Stmt HistoryStore::prepare(const char* sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return Stmt(it->second);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
    spdlog::error("history: cannot prepare statement: {}", sqlite3_errmsg(db_));
    return Stmt(nullptr);
  }
  statements_.emplace(sql, stmt);
  return Stmt(stmt);
}

bool HistoryStore::seen(const MessageId& id) {
  auto stmt = prepare("SELECT 1 FROM seen WHERE id = ?");
  if (!stmt.valid()) return false;
  stmt.bind_blob(1, id.bytes());
  return stmt.step() == SQLITE_ROW;
}

Result<bool> HistoryStore::mark_seen(const MessageId& id) {
  auto stmt = prepare("INSERT OR IGNORE INTO seen(id) VALUES(?)");
  if (!stmt.valid()) return error("mark_seen");
  stmt.bind_blob(1, id.bytes());
  if (stmt.step() != SQLITE_DONE) return error("mark_seen");
  return sqlite3_changes(db_) == 1;
}

Result<bool> HistoryStore::add_message(const ChatMessage& m) {
  auto tx = Transaction::begin(*this);
  if (!tx) return tx.status();
  auto fresh = mark_seen(m.id);
  if (!fresh || !*fresh) return fresh;
  {
    auto stmt = prepare(
        "INSERT INTO messages(id, seq, peer_tag, group_id, body, sent_at_ms, server_time_ms,"
        " outgoing, file_size, key_changed) VALUES(?,?,?,?,?,?,?,?,?,?)");
    if (!stmt.valid()) return error("add_message");
    const std::string tag = history_sealing::peer_tag(box_, m.group_id == 0 ? m.peer : "");
    stmt.bind_blob(1, m.id.bytes())
        .bind(2, static_cast<std::int64_t>(m.seq))
        .bind_blob(3, tag)
        .bind(4, static_cast<std::int64_t>(m.group_id))
        .bind_blob(5, history_sealing::seal_message(box_, m, tag))
        .bind(6, m.sent_at_ms)
        .bind(7, m.server_time_ms)
        .bind(8, m.outgoing ? 1 : 0)
        .bind(9, static_cast<std::int64_t>(m.file_size))
        .bind(10, m.key_changed ? 1 : 0);
    if (stmt.step() != SQLITE_DONE) return error("add_message");
  }
  if (Status s = tx->commit(); !s) return s;
  return true;
}

Result<bool> HistoryStore::mark_delivered(const MessageId& id, std::string_view recipient) {
  // Only a message this user sent, and for a direct one only its recipient may say so.
  auto stmt = prepare(
      "INSERT OR IGNORE INTO deliveries(message_id, recipient) SELECT id, ? FROM messages"
      " WHERE id = ? AND outgoing = 1 AND (group_id != 0 OR peer_tag = ?)");
  if (!stmt.valid()) return error("mark_delivered");
  stmt.bind_text(1, recipient)
      .bind_blob(2, id.bytes())
      .bind_blob(3, history_sealing::peer_tag(box_, recipient));
  if (stmt.step() != SQLITE_DONE) return error("mark_delivered");
  return sqlite3_changes(db_) == 1;
}

Result<std::vector<ChatMessage>> HistoryStore::conversation(std::string_view peer, GroupId group,
                                                            std::size_t limit,
                                                            std::size_t skip_newest) {
  auto stmt = prepare(
      "SELECT id, seq, peer_tag, group_id, body, sent_at_ms, server_time_ms, outgoing,"
      " file_size, key_changed,"
      " (SELECT COUNT(*) FROM deliveries WHERE message_id = messages.id)"
      " FROM messages"
      " WHERE group_id = ? AND peer_tag = ?"
      " ORDER BY pos DESC LIMIT ? OFFSET ?");
  if (!stmt.valid()) return error("conversation");
  stmt.bind(1, static_cast<std::int64_t>(group))
      .bind_blob(2, history_sealing::peer_tag(box_, group == 0 ? peer : std::string_view()))
      .bind(3, limit == 0 ? -1 : static_cast<std::int64_t>(limit))
      .bind(4, static_cast<std::int64_t>(skip_newest));
  auto out = read_messages(stmt, "conversation");
  if (!out) return out.status();
  std::reverse(out->begin(), out->end());
  return std::move(*out);
}

Result<std::vector<ChatMessage>> HistoryStore::latest_per_conversation(std::size_t limit) {
  auto stmt = prepare(
      "SELECT id, seq, peer_tag, group_id, body, sent_at_ms, server_time_ms, outgoing,"
      " file_size, key_changed,"
      " (SELECT COUNT(*) FROM deliveries WHERE message_id = messages.id)"
      " FROM messages WHERE pos IN"
      " (SELECT MAX(pos) FROM messages GROUP BY group_id, peer_tag) ORDER BY pos DESC LIMIT ?");
  if (!stmt.valid()) return error("latest_per_conversation");
  stmt.bind(1, limit == 0 ? -1 : static_cast<std::int64_t>(limit));
  return read_messages(stmt, "latest_per_conversation");
}

Result<std::vector<ChatMessage>> HistoryStore::read_messages(Stmt& stmt, const char* what) {
  std::vector<ChatMessage> out;
  int rc;
  while ((rc = stmt.step()) == SQLITE_ROW) {
    ChatMessage m;
    if (auto id = MessageId::from_bytes(stmt.blob(0))) m.id = *id;
    m.seq = static_cast<std::uint64_t>(stmt.int64(1));
    m.group_id = static_cast<GroupId>(stmt.int64(3));
    m.sent_at_ms = stmt.int64(5);
    m.server_time_ms = stmt.int64(6);
    m.outgoing = stmt.int64(7) != 0;
    m.file_size = static_cast<std::uint64_t>(stmt.int64(8));
    m.key_changed = stmt.int64(9) != 0;
    m.delivered_to = static_cast<std::uint32_t>(stmt.int64(10));
    if (Status s = history_sealing::open_message(box_, stmt.blob(2), stmt.blob(4), m); !s) {
      return s;
    }
    out.push_back(std::move(m));
  }
  if (rc != SQLITE_DONE) return error(what);
  return out;
}

std::optional<std::uint64_t> HistoryStore::last_seq() {
  auto stmt = prepare("SELECT value FROM meta WHERE key = 'last_seq'");
  if (!stmt.valid() || stmt.step() != SQLITE_ROW) return std::nullopt;
  return static_cast<std::uint64_t>(stmt.int64(0));
}

Status HistoryStore::set_last_seq(std::uint64_t seq) {
  auto stmt = prepare(
      "INSERT INTO meta(key, value) VALUES('last_seq', ?)"
      " ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  if (!stmt.valid()) return error("set_last_seq");
  stmt.bind(1, static_cast<std::int64_t>(seq));
  if (stmt.step() != SQLITE_DONE) return error("set_last_seq");
  return Status::ok();
}

std::optional<crypto::PublicIdentity> HistoryStore::pinned_identity(std::string_view username) {
  auto record = contact(username);
  if (!record) return std::nullopt;
  return std::move(record->pinned);
}

std::optional<HistoryStore::ContactRecord> HistoryStore::contact(std::string_view username) {
  auto stmt = prepare(
      "SELECT sign_public_key, box_public_key, signature, verified, pending_sign_public_key,"
      " pending_box_public_key, pending_signature FROM identities WHERE username = ?");
  if (!stmt.valid()) return std::nullopt;
  stmt.bind_text(1, username);
  if (stmt.step() != SQLITE_ROW) return std::nullopt;
  ContactRecord record;
  record.pinned = crypto::PublicIdentity{stmt.blob(0), stmt.blob(1), stmt.blob(2)};
  record.verified = stmt.int64(3) != 0;
  if (!stmt.blob(4).empty()) {
    record.pending = crypto::PublicIdentity{stmt.blob(4), stmt.blob(5), stmt.blob(6)};
  }
  return record;
}

Result<HistoryStore::Pin> HistoryStore::pin_identity(std::string_view username,
                                                     const crypto::PublicIdentity& identity,
                                                     std::int64_t now_ms) {
  if (auto record = contact(username)) {
    const bool same = record->pinned.sign_public_key == identity.sign_public_key &&
                      record->pinned.box_public_key == identity.box_public_key;
    auto stmt = same ? prepare(
                           "UPDATE identities SET pending_sign_public_key = NULL,"
                           " pending_box_public_key = NULL, pending_signature = NULL,"
                           " pending_ms = NULL WHERE username = ?")
                     : prepare(
                           "UPDATE identities SET pending_sign_public_key = ?2,"
                           " pending_box_public_key = ?3, pending_signature = ?4,"
                           " pending_ms = ?5 WHERE username = ?1");
    if (!stmt.valid()) return error("pin_identity");
    stmt.bind_text(1, username);
    if (!same) {
      stmt.bind_blob(2, identity.sign_public_key)
          .bind_blob(3, identity.box_public_key)
          .bind_blob(4, identity.signature)
          .bind(5, now_ms);
    }
    if (stmt.step() != SQLITE_DONE) return error("pin_identity");
    return same ? Pin::kSame : Pin::kChanged;
  }
  auto stmt = prepare(
      "INSERT INTO identities(username, sign_public_key, box_public_key, signature, pinned_ms)"
      " VALUES(?,?,?,?,?)");
  if (!stmt.valid()) return error("pin_identity");
  stmt.bind_text(1, username)
      .bind_blob(2, identity.sign_public_key)
      .bind_blob(3, identity.box_public_key)
      .bind_blob(4, identity.signature)
      .bind(5, now_ms);
  if (stmt.step() != SQLITE_DONE) return error("pin_identity");
  return Pin::kNew;
}

Status HistoryStore::set_verified(std::string_view username, bool verified) {
  auto stmt = prepare("UPDATE identities SET verified = ? WHERE username = ?");
  if (!stmt.valid()) return error("set_verified");
  stmt.bind(1, verified ? 1 : 0).bind_text(2, username);
  if (stmt.step() != SQLITE_DONE) return error("set_verified");
  if (sqlite3_changes(db_) == 0) {
    return Status(Code::kNotFound, "no key of " + std::string(username) + " is pinned yet");
  }
  return Status::ok();
}

Status HistoryStore::accept_pending(std::string_view username, bool verified, std::int64_t now_ms) {
  auto stmt = prepare(
      "UPDATE identities SET sign_public_key = pending_sign_public_key,"
      " box_public_key = pending_box_public_key, signature = pending_signature,"
      " pinned_ms = ?, verified = ?, pending_sign_public_key = NULL,"
      " pending_box_public_key = NULL, pending_signature = NULL, pending_ms = NULL"
      " WHERE username = ? AND pending_sign_public_key IS NOT NULL");
  if (!stmt.valid()) return error("accept_pending");
  stmt.bind(1, now_ms).bind(2, verified ? 1 : 0).bind_text(3, username);
  if (stmt.step() != SQLITE_DONE) return error("accept_pending");
  if (sqlite3_changes(db_) == 0) {
    return Status(Code::kNotFound, "no changed key of " + std::string(username) + " to accept");
  }
  return Status::ok();
}

std::optional<HistoryStore::FileTransfer> HistoryStore::file_transfer(std::string_view sender,
                                                                      std::string_view file_id) {
  auto stmt = prepare(
      "SELECT sealed, total_size, chunk_count, received FROM file_transfers"
      " WHERE sender = ? AND file_id = ?");
  if (!stmt.valid()) return std::nullopt;
  stmt.bind_text(1, sender).bind_blob(2, file_id);
  if (stmt.step() != SQLITE_ROW) return std::nullopt;
  auto names = history_sealing::open_file(box_, sender, file_id, stmt.blob(0));
  if (!names) {
    // As if unknown: the name and type come from the chunk again (each one carries them).
    spdlog::warn("{}", names.status().message());
    return std::nullopt;
  }
  FileTransfer t;
  t.name = std::move(names->first);
  t.mime_type = std::move(names->second);
  t.total_size = static_cast<std::uint64_t>(stmt.int64(1));
  t.chunk_count = static_cast<std::uint32_t>(stmt.int64(2));
  t.received = static_cast<std::uint32_t>(stmt.int64(3));
  return t;
}

Status HistoryStore::begin_file_transfer(std::string_view sender, std::string_view file_id,
                                         const FileTransfer& t) {
  auto stmt = prepare(
      "INSERT OR IGNORE INTO file_transfers(sender, file_id, sealed, total_size, chunk_count,"
      " received) VALUES(?,?,?,?,?,0)");
  if (!stmt.valid()) return error("begin_file_transfer");
  stmt.bind_text(1, sender)
      .bind_blob(2, file_id)
      .bind_blob(3, history_sealing::seal_file(box_, sender, file_id, t.name, t.mime_type))
      .bind(4, static_cast<std::int64_t>(t.total_size))
      .bind(5, t.chunk_count);
  if (stmt.step() != SQLITE_DONE) return error("begin_file_transfer");
  return Status::ok();
}

Result<std::optional<std::uint32_t>> HistoryStore::add_file_chunk(std::string_view sender,
                                                                  std::string_view file_id,
                                                                  std::uint32_t index) {
  {
    auto stmt = prepare("INSERT OR IGNORE INTO file_chunks(sender, file_id, idx) VALUES(?,?,?)");
    if (!stmt.valid()) return error("add_file_chunk");
    stmt.bind_text(1, sender).bind_blob(2, file_id).bind(3, index);
    if (stmt.step() != SQLITE_DONE) return error("add_file_chunk");
    if (sqlite3_changes(db_) == 0) return std::optional<std::uint32_t>();
  }
  auto stmt = prepare(
      "UPDATE file_transfers SET received = received + 1 WHERE sender = ? AND file_id = ?"
      " RETURNING received");
  if (!stmt.valid()) return error("add_file_chunk");
  stmt.bind_text(1, sender).bind_blob(2, file_id);
  if (stmt.step() != SQLITE_ROW) return error("add_file_chunk: no such transfer");
  const auto received = static_cast<std::uint32_t>(stmt.int64(0));
  (void)stmt.step();  // finish the statement so its write completes
  return std::optional<std::uint32_t>(received);
}

Status HistoryStore::finish_file_transfer(std::string_view sender, std::string_view file_id) {
  {
    auto stmt = prepare("DELETE FROM file_chunks WHERE sender = ? AND file_id = ?");
    if (!stmt.valid()) return error("finish_file_transfer");
    stmt.bind_text(1, sender).bind_blob(2, file_id);
    if (stmt.step() != SQLITE_DONE) return error("finish_file_transfer");
  }
  auto stmt = prepare("DELETE FROM file_transfers WHERE sender = ? AND file_id = ?");
  if (!stmt.valid()) return error("finish_file_transfer");
  stmt.bind_text(1, sender).bind_blob(2, file_id);
  if (stmt.step() != SQLITE_DONE) return error("finish_file_transfer");
  return Status::ok();
}

}  // namespace fastchat::client

namespace fastchat::client {

std::optional<std::string> HistoryStore::peer_session(std::string_view username,
                                                      std::uint32_t device,
                                                      std::string_view identity) {
  auto stmt =
      prepare("SELECT state FROM peer_sessions WHERE username = ? AND device = ? AND identity = ?");
  if (!stmt.valid()) return std::nullopt;
  stmt.bind_text(1, username).bind(2, device).bind_blob(3, identity);
  if (stmt.step() != SQLITE_ROW) return std::nullopt;
  return stmt.blob(0);
}

bool HistoryStore::has_peer_session(std::string_view username) {
  auto stmt = prepare("SELECT 1 FROM peer_sessions WHERE username = ? LIMIT 1");
  if (!stmt.valid()) return false;
  stmt.bind_text(1, username);
  return stmt.step() == SQLITE_ROW;
}

std::vector<std::uint32_t> HistoryStore::peer_session_devices(std::string_view username,
                                                              std::string_view identity) {
  std::vector<std::uint32_t> devices;
  auto stmt = prepare(
      "SELECT device FROM peer_sessions WHERE username = ? AND identity = ? ORDER BY device");
  if (!stmt.valid()) return devices;
  stmt.bind_text(1, username).bind_blob(2, identity);
  while (stmt.step() == SQLITE_ROW)
    devices.push_back(static_cast<std::uint32_t>(stmt.int64(0)));
  return devices;
}

Status HistoryStore::save_peer_session(std::string_view username, std::uint32_t device,
                                       std::string_view identity, std::string_view sealed_state) {
  auto stmt = prepare(
      "INSERT OR REPLACE INTO peer_sessions(username, device, identity, state)"
      " VALUES(?,?,?,?)");
  if (!stmt.valid()) return error("save_peer_session");
  stmt.bind_text(1, username).bind(2, device).bind_blob(3, identity).bind_blob(4, sealed_state);
  if (stmt.step() != SQLITE_DONE) return error("save_peer_session");
  return Status::ok();
}

std::optional<HistoryStore::SealedPrekeys> HistoryStore::local_prekeys(std::uint32_t device) {
  auto stmt = prepare("SELECT state, signed_at_ms FROM local_prekeys WHERE device = ?");
  if (!stmt.valid()) return std::nullopt;
  stmt.bind(1, device);
  if (stmt.step() != SQLITE_ROW) return std::nullopt;
  return SealedPrekeys{stmt.blob(0), stmt.int64(1)};
}

Status HistoryStore::save_local_prekeys(std::uint32_t device, const SealedPrekeys& prekeys) {
  auto stmt = prepare(
      "INSERT OR REPLACE INTO local_prekeys(device, state, signed_at_ms)"
      " VALUES(?,?,?)");
  if (!stmt.valid()) return error("save_local_prekeys");
  stmt.bind(1, device).bind_blob(2, prekeys.state).bind(3, prekeys.signed_at_ms);
  if (stmt.step() != SQLITE_DONE) return error("save_local_prekeys");
  return Status::ok();
}

}  // namespace fastchat::client
