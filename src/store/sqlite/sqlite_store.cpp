#include "store/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <limits>

#include "store/sql_int.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/connection_pool.h"
#include "store/sqlite/lookups.h"
#include "store/sqlite/message_writer.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/transaction.h"

namespace fastchat::store::sqlite {
namespace {

// What read_user() reads, in its order.
#define FASTCHAT_USER_COLUMNS                                                     \
  "id, username, auth_verifier, sign_public_key, box_public_key, key_signature, " \
  "acked_seq, last_seq, login_public_key"

constexpr char kInsertUser[] =
    "INSERT INTO users (username, auth_verifier, sign_public_key, box_public_key, "
    "key_signature, created_ms, login_public_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
constexpr char kInsertUserSeqs[] = "INSERT INTO user_seqs (user_id) VALUES (?1)";
constexpr char kSetLoginKey[] =
    "UPDATE users SET login_public_key = ?2, auth_verifier = x'' WHERE id = ?1";
constexpr char kSelectUserByName[] =
    "SELECT " FASTCHAT_USER_COLUMNS
    " FROM users JOIN user_seqs ON user_id = id WHERE username = ?1";
constexpr char kSelectUserById[] =
    "SELECT " FASTCHAT_USER_COLUMNS " FROM users JOIN user_seqs ON user_id = id WHERE id = ?1";
// The column's NOCASE collation makes LIKE's case-insensitivity and the index order agree.
constexpr char kListUsers[] =
    "SELECT " FASTCHAT_USER_COLUMNS
    " FROM users JOIN user_seqs ON user_id = id "
    "WHERE username LIKE ?1 ESCAPE '\\' AND username > ?3 ORDER BY username LIMIT ?2";

constexpr char kPurgeSessions[] = "DELETE FROM sessions WHERE expires_ms <= ?1";
constexpr char kInsertSession[] =
    "INSERT INTO sessions (token_hash, user_id, created_ms, expires_ms, session_id, device_id, "
    "device_public_key, device_name, last_used_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
#define FASTCHAT_SESSION_COLUMNS                                                      \
  "sessions.token_hash, sessions.user_id, sessions.created_ms, sessions.expires_ms, " \
  "sessions.session_id, sessions.device_id, sessions.device_public_key, "             \
  "sessions.device_name, sessions.last_used_ms"
// The columns of kSelectUserById, then the session's (read_session at column 9).
constexpr char kLookupSession[] = "SELECT " FASTCHAT_USER_COLUMNS ", " FASTCHAT_SESSION_COLUMNS
                                  " FROM sessions JOIN users ON id = sessions.user_id "
                                  "JOIN user_seqs ON user_seqs.user_id = id WHERE token_hash = ?1";
constexpr char kTouchSession[] =
    "UPDATE sessions SET last_used_ms = ?2, expires_ms = ?3 WHERE token_hash = ?1";
constexpr char kListSessions[] = "SELECT " FASTCHAT_SESSION_COLUMNS
                                 " FROM sessions WHERE user_id = ?1 AND expires_ms > ?2 "
                                 "ORDER BY last_used_ms DESC, session_id LIMIT ?3";
constexpr char kRevokeSession[] = "DELETE FROM sessions WHERE user_id = ?1 AND session_id = ?2";
// The columns of kSelectUserById, then the session's expiry.
constexpr char kSelectSession[] = "SELECT " FASTCHAT_USER_COLUMNS
                                  ", expires_ms FROM sessions JOIN users ON id = sessions.user_id "
                                  "JOIN user_seqs ON user_seqs.user_id = id WHERE token_hash = ?1";
constexpr char kDeleteSession[] = "DELETE FROM sessions WHERE token_hash = ?1";
constexpr char kRevokeSessionsExcept[] =
    "DELETE FROM sessions WHERE user_id = ?1 AND token_hash <> ?2";

constexpr char kClaimServerKey[] =
    "INSERT INTO server_key (id, verifier) VALUES (1, ?1) ON CONFLICT (id) DO NOTHING";
constexpr char kSelectServerKey[] = "SELECT verifier FROM server_key WHERE id = 1";

// Served by the partial index messages_tombstones, which holds only tombstones.
constexpr char kPurgeTombstones[] =
    "DELETE FROM messages WHERE id IN (SELECT id FROM messages "
    "WHERE refs = 0 AND server_time_ms < ?1 LIMIT ?2)";

constexpr char kReadInbox[] =
    "SELECT i.seq, m.message_id, u.username, m.group_id, m.body, i.sealed_key, "
    "m.server_time_ms FROM inbox AS i "
    "JOIN messages AS m ON m.id = i.message_row "
    "JOIN users AS u ON u.id = m.sender "
    "WHERE i.user_id = ?1 AND i.seq > ?2 ORDER BY i.seq LIMIT ?3";

Status configure_writer(Connection& db) {
  auto mode = db.query_text("PRAGMA journal_mode = WAL");
  if (!mode) return mode.status();
  if (*mode != "wal") {
    return {Code::kUnavailable, "cannot put " + db.path() + " in WAL mode (got " + *mode + ")"};
  }
  // synchronous=FULL: the WAL is fsync'd at every commit (DESIGN §4). Checkpoints run
  // every 4000 pages (16 MiB) of WAL rather than SQLite's 1000: pages that many batches
  // touch (index leaves, hot inboxes) are copied back once instead of four times, worth
  // about +35% messages/s in bench/store_commit_bench. journal_size_limit trims the WAL
  // file back to 64 MiB after a checkpoint.
  if (Status s = db.exec("PRAGMA synchronous = FULL;"
                         "PRAGMA foreign_keys = ON;"
                         "PRAGMA temp_store = MEMORY;"
                         "PRAGMA cache_size = -32768;"
                         "PRAGMA journal_size_limit = 67108864;"
                         "PRAGMA wal_autocheckpoint = 4000;");
      !s) {
    return s;
  }
  auto foreign_keys = db.query_int64("PRAGMA foreign_keys");
  if (!foreign_keys) return foreign_keys.status();
  if (*foreign_keys != 1) return {Code::kInternal, "SQLite lacks foreign key support"};
  return {};
}

Status configure_reader(Connection& db) {
  return db.exec(
      "PRAGMA foreign_keys = ON;"
      "PRAGMA temp_store = MEMORY;"
      "PRAGMA cache_size = -8192;");
}

UserRecord read_user(const Statement& row) {
  UserRecord user;
  user.id = row.column_int64(0);
  user.username = row.column_text(1);
  user.auth_verifier = row.column_blob(2);
  user.identity.sign_public_key = row.column_blob(3);
  user.identity.box_public_key = row.column_blob(4);
  user.identity.signature = row.column_blob(5);
  user.acked_seq = static_cast<std::uint64_t>(row.column_int64(6));
  user.last_seq = static_cast<std::uint64_t>(row.column_int64(7));
  user.login_public_key = row.column_blob(8);
  return user;
}

// The FASTCHAT_SESSION_COLUMNS of `row` from column `first` on.
SessionRecord read_session(const Statement& row, int first) {
  SessionRecord session;
  session.token_hash = row.column_blob(first);
  session.user_id = row.column_int64(first + 1);
  session.created_ms = row.column_int64(first + 2);
  session.expires_ms = row.column_int64(first + 3);
  session.session_id = static_cast<std::uint32_t>(row.column_int64(first + 4));
  session.device_id = static_cast<std::uint32_t>(row.column_int64(first + 5));
  session.device_public_key = row.column_blob(first + 6);
  session.device_name = row.column_text(first + 7);
  session.last_used_ms = row.column_int64(first + 8);
  return session;
}

// At most one user: kUnknownUser when there is none.
Result<UserRecord> find_one_user(Statement& select) {
  switch (select.step()) {
    case Step::kRow:
      return read_user(select);
    case Step::kDone:
      return Result<UserRecord>(Code::kUnknownUser, "unknown user");
    case Step::kError:
      break;
  }
  return select.error();
}

// `text` as a LIKE pattern matching names that contain it: %, _ and \ stand for themselves.
std::string contains_pattern(std::string_view text) {
  std::string pattern;
  pattern.reserve(text.size() + 2);
  pattern += '%';
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += c;
  }
  pattern += '%';
  return pattern;
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path,
                                                       const SqliteOptions& options) {
  Connection::Options writer_options;
  writer_options.access = Connection::Access::kReadWrite;
  writer_options.create = true;
  writer_options.busy_timeout_ms = options.busy_timeout_ms;
  auto writer = Connection::open(path, writer_options);
  if (!writer) return writer.status();
  if (Status s = configure_writer(**writer); !s) return s;
  if (Status s = migrate(**writer); !s) return s;

  // Readers open after the writer made the file a WAL database at the latest schema.
  Connection::Options reader_options;
  reader_options.access = Connection::Access::kReadOnly;
  reader_options.busy_timeout_ms = options.busy_timeout_ms;
  auto readers =
      ConnectionPool::open(path, options.read_connections, reader_options, &configure_reader);
  if (!readers) return readers.status();
  return std::unique_ptr<SqliteStore>(
      new SqliteStore(std::move(writer).value(), std::move(readers).value()));
}

SqliteStore::SqliteStore(std::unique_ptr<Connection> writer,
                         std::unique_ptr<ConnectionPool> readers)
    : writer_(std::move(writer)),
      messages_(std::make_unique<MessageWriter>(*writer_)),
      readers_(std::move(readers)) {}

SqliteStore::~SqliteStore() = default;

Result<SqliteSettings> SqliteStore::settings() {
  std::lock_guard lock(writer_mu_);
  SqliteSettings settings;
  auto mode = writer_->query_text("PRAGMA journal_mode");
  if (!mode) return mode.status();
  settings.journal_mode = *mode;
  for (auto [sql, out] : {std::pair{"PRAGMA synchronous", &settings.synchronous},
                          std::pair{"PRAGMA busy_timeout", &settings.busy_timeout_ms},
                          std::pair{"PRAGMA user_version", &settings.schema_version}}) {
    auto value = writer_->query_int64(sql);
    if (!value) return value.status();
    *out = static_cast<int>(*value);
  }
  auto foreign_keys = writer_->query_int64("PRAGMA foreign_keys");
  if (!foreign_keys) return foreign_keys.status();
  settings.foreign_keys = *foreign_keys == 1;
  return settings;
}

// --- accounts

Result<UserId> SqliteStore::create_user(const NewUser& user) {
  std::lock_guard lock(writer_mu_);
  auto txn = Transaction::begin(*writer_);
  if (!txn) return txn.status();
  auto insert = writer_->prepare(kInsertUser);
  if (!insert) return insert.status();
  insert->bind_text(1, user.username);
  insert->bind_blob(2, user.auth_verifier);
  insert->bind_blob(3, user.identity.sign_public_key);
  insert->bind_blob(4, user.identity.box_public_key);
  insert->bind_blob(5, user.identity.signature);
  insert->bind_int64(6, user.created_ms);
  insert->bind_blob(7, user.login_public_key);
  if (Status s = insert->run(); !s) {
    if (insert->error_code() == SQLITE_CONSTRAINT_UNIQUE) {
      return Result<UserId>(Code::kUsernameTaken, "username taken");
    }
    return s;
  }
  const UserId id = writer_->last_insert_rowid();
  auto seqs = writer_->prepare(kInsertUserSeqs);
  if (!seqs) return seqs.status();
  seqs->bind_int64(1, id);
  if (Status s = seqs->run(); !s) return s;
  if (Status s = txn->commit(); !s) return s;
  return id;
}

Result<UserRecord> SqliteStore::find_user(std::string_view username) {
  auto db = readers_->acquire();
  auto select = db->prepare(kSelectUserByName);
  if (!select) return select.status();
  select->bind_text(1, username);
  return find_one_user(*select);
}

Status SqliteStore::set_login_key(UserId user, std::string_view login_public_key) {
  std::lock_guard lock(writer_mu_);
  auto update = writer_->prepare(kSetLoginKey);
  if (!update) return update.status();
  update->bind_int64(1, user);
  update->bind_blob(2, login_public_key);
  if (Status s = update->run(); !s) return s;
  if (writer_->changes() != 1) return {Code::kUnknownUser, "unknown user"};
  return {};
}

Result<std::size_t> SqliteStore::revoke_sessions_except(UserId user, std::string_view keep) {
  std::lock_guard lock(writer_mu_);
  auto remove = writer_->prepare(kRevokeSessionsExcept);
  if (!remove) return remove.status();
  remove->bind_int64(1, user);
  remove->bind_blob(2, keep);
  if (Status s = remove->run(); !s) return s;
  return static_cast<std::size_t>(writer_->changes());
}

Result<std::string> SqliteStore::claim_server_key(std::string_view verifier) {
  std::lock_guard lock(writer_mu_);
  auto claim = writer_->prepare(kClaimServerKey);
  if (!claim) return claim.status();
  claim->bind_blob(1, verifier);
  if (Status s = claim->run(); !s) return s;
  auto read = writer_->prepare(kSelectServerKey);
  if (!read) return read.status();
  switch (read->step()) {
    case Step::kRow:
      return std::string(read->column_blob(0));
    case Step::kDone:
      return Status(Code::kInternal, "no server key recorded");
    case Step::kError:
      break;
  }
  return read->error();
}

Result<UserRecord> SqliteStore::find_user_by_id(UserId id) {
  auto db = readers_->acquire();
  auto select = db->prepare(kSelectUserById);
  if (!select) return select.status();
  select->bind_int64(1, id);
  return find_one_user(*select);
}

Result<std::vector<UserRecord>> SqliteStore::list_users(std::string_view pattern, std::size_t limit,
                                                        std::string_view after) {
  std::vector<UserRecord> users;
  if (limit == 0) return users;
  const std::string like = contains_pattern(pattern);
  auto db = readers_->acquire();
  auto select = db->prepare(kListUsers);
  if (!select) return select.status();
  select->bind_text(1, like);
  select->bind_int64(2, clamp_to_int64(limit));
  select->bind_text(3, after);
  Step step;
  while ((step = select->step()) == Step::kRow)
    users.push_back(read_user(*select));
  if (step == Step::kError) return select->error();
  return users;
}

// --- sessions

Result<std::vector<Status>> SqliteStore::write_sessions(std::span<const SessionWrite> writes) {
  std::vector<Status> results(writes.size());
  if (writes.empty()) return results;
  std::lock_guard lock(writer_mu_);
  auto txn = Transaction::begin(*writer_);
  if (!txn) return txn.status();
  // Sessions that expired before the newest of these began are dead: the table stays
  // bounded.
  std::int64_t newest = 0;
  for (const SessionWrite& write : writes) {
    if (write.kind == SessionWrite::Kind::kCreate) {
      newest = std::max(newest, write.session.created_ms);
    }
  }
  if (newest != 0) {
    auto purge = writer_->prepare(kPurgeSessions);
    if (!purge) return purge.status();
    purge->bind_int64(1, newest);
    if (Status s = purge->run(); !s) return s;
  }
  for (std::size_t i = 0; i < writes.size(); ++i) {
    const SessionRecord& session = writes[i].session;
    if (writes[i].kind == SessionWrite::Kind::kRevoke) {
      auto remove = writer_->prepare(kDeleteSession);
      if (!remove) return remove.status();
      remove->bind_blob(1, session.token_hash);
      if (Status s = remove->run(); !s) return s;
      continue;
    }
    auto insert = writer_->prepare(kInsertSession);
    if (!insert) return insert.status();
    insert->bind_blob(1, session.token_hash);
    insert->bind_int64(2, session.user_id);
    insert->bind_int64(3, session.created_ms);
    insert->bind_int64(4, session.expires_ms);
    insert->bind_int64(5, session.session_id);
    insert->bind_int64(6, session.device_id);
    insert->bind_blob(7, session.device_public_key);
    insert->bind_text(8, session.device_name);
    insert->bind_int64(9, session.last_used_ms);
    // A refused insert undoes only itself (SQLite rolls back the statement, not the
    // transaction): the rest of the batch goes on.
    if (Status s = insert->run(); !s) {
      switch (insert->error_code()) {
        case SQLITE_CONSTRAINT_FOREIGNKEY:
          results[i] = Status(Code::kUnknownUser, "unknown user");
          break;
        case SQLITE_CONSTRAINT_PRIMARYKEY:
        case SQLITE_CONSTRAINT_UNIQUE:
          results[i] = Status(Code::kInternal, "session token or id already exists");
          break;
        default:
          return s;
      }
    }
  }
  if (Status s = txn->commit(); !s) return s;
  return results;
}

Result<UserRecord> SqliteStore::find_session(std::string_view token_hash, std::int64_t now_ms) {
  auto db = readers_->acquire();
  auto select = db->prepare(kSelectSession);
  if (!select) return select.status();
  select->bind_blob(1, token_hash);
  switch (select->step()) {
    case Step::kRow:
      if (select->column_int64(9) > now_ms) return read_user(*select);
      return Result<UserRecord>(Code::kAuthFailed, "session expired");
    case Step::kDone:
      return Result<UserRecord>(Code::kAuthFailed, "unknown session");
    case Step::kError:
      break;
  }
  return select->error();
}

Result<SessionLookup> SqliteStore::lookup_session(std::string_view token_hash,
                                                  std::int64_t now_ms) {
  auto db = readers_->acquire();
  auto select = db->prepare(kLookupSession);
  if (!select) return select.status();
  select->bind_blob(1, token_hash);
  switch (select->step()) {
    case Step::kRow: {
      SessionLookup found{read_user(*select), read_session(*select, 9)};
      if (found.session.expires_ms > now_ms) return found;
      return Result<SessionLookup>(Code::kAuthFailed, "session expired");
    }
    case Step::kDone:
      return Result<SessionLookup>(Code::kAuthFailed, "unknown session");
    case Step::kError:
      break;
  }
  return select->error();
}

Status SqliteStore::touch_session(std::string_view token_hash, std::int64_t last_used_ms,
                                  std::int64_t expires_ms) {
  std::lock_guard lock(writer_mu_);
  auto update = writer_->prepare(kTouchSession);
  if (!update) return update.status();
  update->bind_blob(1, token_hash);
  update->bind_int64(2, last_used_ms);
  update->bind_int64(3, expires_ms);
  return update->run();
}

Result<std::vector<SessionRecord>> SqliteStore::list_sessions(UserId user, std::int64_t now_ms,
                                                              std::size_t limit) {
  std::vector<SessionRecord> sessions;
  if (limit == 0) return sessions;
  auto db = readers_->acquire();
  auto select = db->prepare(kListSessions);
  if (!select) return select.status();
  select->bind_int64(1, user);
  select->bind_int64(2, now_ms);
  select->bind_int64(3, clamp_to_int64(limit));
  Step step;
  while ((step = select->step()) == Step::kRow)
    sessions.push_back(read_session(*select, 0));
  if (step == Step::kError) return select->error();
  return sessions;
}

Result<std::size_t> SqliteStore::revoke_session(UserId user, std::uint32_t session_id) {
  std::lock_guard lock(writer_mu_);
  auto remove = writer_->prepare(kRevokeSession);
  if (!remove) return remove.status();
  remove->bind_int64(1, user);
  remove->bind_int64(2, session_id);
  if (Status s = remove->run(); !s) return s;
  return static_cast<std::size_t>(writer_->changes());
}

// --- messages

Result<std::vector<CommitOutcome>> SqliteStore::commit_messages(
    std::span<const OutgoingMessage> messages) {
  std::lock_guard lock(writer_mu_);
  return messages_->commit(messages);
}

Result<std::vector<InboxItem>> SqliteStore::read_inbox(UserId user, std::uint64_t after_seq,
                                                       std::size_t limit) {
  std::vector<InboxItem> items;
  auto db = readers_->acquire();
  if (limit > 0) {
    auto select = db->prepare(kReadInbox);
    if (!select) return select.status();
    select->bind_int64(1, user);
    select->bind_int64(2, clamp_to_int64(after_seq));
    select->bind_int64(3, clamp_to_int64(limit));
    Step step;
    while ((step = select->step()) == Step::kRow) {
      auto message_id = MessageId::from_bytes(select->column_blob(1));
      if (!message_id) return Result<std::vector<InboxItem>>(Code::kInternal, "bad message id");
      InboxItem& item = items.emplace_back();
      item.seq = static_cast<std::uint64_t>(select->column_int64(0));
      item.message_id = *message_id;
      item.sender = select->column_text(2);
      item.group_id = static_cast<GroupId>(select->column_int64(3));  // NULL reads as 0
      item.body = select->column_blob(4);
      item.sealed_key = select->column_blob(5);
      item.server_time_ms = select->column_int64(6);
    }
    if (step == Step::kError) return select->error();
  }
  if (items.empty()) {
    // Users are never deleted, so checking after the read is as good as before it.
    auto exists = user_exists(*db, user);
    if (!exists) return exists.status();
    if (!*exists) return Result<std::vector<InboxItem>>(Code::kUnknownUser, "unknown user");
  }
  return items;
}

Status SqliteStore::ack_inbox(std::span<const AckRecord> acks) {
  std::lock_guard lock(writer_mu_);
  return messages_->ack(acks);
}

BatchResult SqliteStore::commit_batch(std::span<const OutgoingMessage> messages,
                                      std::span<const AckRecord> acks) {
  std::lock_guard lock(writer_mu_);
  return messages_->commit_batch(messages, acks);
}

// --- housekeeping

Result<std::size_t> SqliteStore::purge_tombstones(std::int64_t before_ms, std::size_t limit) {
  std::lock_guard lock(writer_mu_);
  auto purge = writer_->prepare(kPurgeTombstones);
  if (!purge) return purge.status();
  purge->bind_int64(1, before_ms);
  purge->bind_int64(2, clamp_to_int64(limit));
  if (Status s = purge->run(); !s) return s;
  return static_cast<std::size_t>(writer_->changes());
}

}  // namespace fastchat::store::sqlite
