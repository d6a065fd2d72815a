#include "store/sqlite/migrations.h"

#include <array>
#include <string>

#include "store/sqlite/transaction.h"

namespace fastchat::store::sqlite {
namespace {

struct Migration {
  int version;
  const char* sql;  // ends by setting PRAGMA user_version to `version`
};

// Append only: a released migration is never edited (databases in the field ran it).
constexpr std::array kMigrations = {
    Migration{1, R"sql(
-- Accounts. Usernames are stored canonical (lower case) and compared case-insensitively.
-- last_seq: highest inbox seq assigned; acked_seq: highest the user acknowledged.
CREATE TABLE users (
  id              INTEGER PRIMARY KEY,
  username        TEXT    NOT NULL COLLATE NOCASE UNIQUE,
  auth_verifier   BLOB    NOT NULL,
  sign_public_key BLOB    NOT NULL,
  box_public_key  BLOB    NOT NULL,
  key_signature   BLOB    NOT NULL,
  created_ms      INTEGER NOT NULL,
  acked_seq       INTEGER NOT NULL DEFAULT 0,
  last_seq        INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE sessions (
  token_hash BLOB    NOT NULL PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL
) WITHOUT ROWID;

-- "groups" is an SQL keyword (window frames), hence chat_groups.
CREATE TABLE chat_groups (
  id   INTEGER PRIMARY KEY,
  name TEXT    NOT NULL
);

-- id gives the order of joining: a new rowid is always above every existing one.
CREATE TABLE group_members (
  id       INTEGER PRIMARY KEY,
  group_id INTEGER NOT NULL REFERENCES chat_groups (id) ON DELETE CASCADE,
  user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  admin    INTEGER NOT NULL DEFAULT 0,
  UNIQUE (group_id, user_id)
);

-- A message body, stored once however many inboxes hold it. refs counts those inbox
-- rows; the row goes when the last of them is acknowledged. (sender, message_id) makes
-- retries idempotent for as long as the row exists. group_id is NULL for a direct message.
CREATE TABLE messages (
  id             INTEGER PRIMARY KEY,
  sender         INTEGER NOT NULL REFERENCES users (id),
  message_id     BLOB    NOT NULL,
  group_id       INTEGER,
  body           BLOB    NOT NULL,
  server_time_ms INTEGER NOT NULL,
  refs           INTEGER NOT NULL,
  UNIQUE (sender, message_id)
);

-- One row per recipient and message, with that recipient's key wrap (NULL for direct).
-- message_row has no FOREIGN KEY on purpose: deleting a message row would then scan the
-- inbox for children (or need a second index written on every delivery); messages.refs
-- keeps the relation instead, inside the same transactions.
CREATE TABLE inbox (
  user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  seq         INTEGER NOT NULL,
  message_row INTEGER NOT NULL,
  sealed_key  BLOB,
  PRIMARY KEY (user_id, seq)
) WITHOUT ROWID;

PRAGMA user_version = 1;
)sql"},
    Migration{2, R"sql(
-- Purging expired sessions, listing a user's groups, and finding message rows that no
-- inbox holds any more (the partial index holds only those few rows).
CREATE INDEX sessions_by_expiry ON sessions (expires_ms);
CREATE INDEX group_members_by_user ON group_members (user_id);
CREATE INDEX messages_unreferenced ON messages (id) WHERE refs = 0;

PRAGMA user_version = 2;
)sql"},
    Migration{3, R"sql(
-- Tombstones: a message every recipient acknowledged keeps its row, without its body,
-- so that a late retry of it is still recognized as a duplicate; purge() deletes it
-- once it is older than the de-duplication window. The partial index holds only them.
DROP INDEX messages_unreferenced;
UPDATE messages SET body = x'' WHERE refs = 0;
CREATE INDEX messages_tombstones ON messages (server_time_ms) WHERE refs = 0;

PRAGMA user_version = 3;
)sql"},
    Migration{4, R"sql(
-- Write locality (docs/performance.md, "Session 4"). Every commit rewrites the pages it
-- touches into the WAL, so the hot rows are kept on few pages:
-- * the sequence counters move out of the wide users rows into a table of ~10-byte rows
--   (a 1000-user batch touches 3 pages instead of 50);
-- * the duplicate check is keyed (message_id, sender): clients make ids time-ordered
--   (MessageId::time_ordered), so new keys land on the index's last page instead of on
--   a random one.
CREATE TABLE user_seqs (
  user_id   INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  acked_seq INTEGER NOT NULL DEFAULT 0,
  last_seq  INTEGER NOT NULL DEFAULT 0
);
INSERT INTO user_seqs (user_id, acked_seq, last_seq) SELECT id, acked_seq, last_seq FROM users;
ALTER TABLE users DROP COLUMN acked_seq;
ALTER TABLE users DROP COLUMN last_seq;

CREATE TABLE messages_v4 (
  id             INTEGER PRIMARY KEY,
  sender         INTEGER NOT NULL REFERENCES users (id),
  message_id     BLOB    NOT NULL,
  group_id       INTEGER,
  body           BLOB    NOT NULL,
  server_time_ms INTEGER NOT NULL,
  refs           INTEGER NOT NULL,
  UNIQUE (message_id, sender)
);
INSERT INTO messages_v4 SELECT id, sender, message_id, group_id, body, server_time_ms, refs
  FROM messages;
DROP TABLE messages;
ALTER TABLE messages_v4 RENAME TO messages;
CREATE INDEX messages_tombstones ON messages (server_time_ms) WHERE refs = 0;

PRAGMA user_version = 4;
)sql"},
    Migration{5, R"sql(
-- The inbox's rows are kept in commit order (a rowid table) with the per-user key in a
-- narrow index. A group message's rows (each with its ~100-byte key wrap) are then
-- appended side by side instead of landing in every member's part of a (user_id, seq)
-- tree, which made each commit rewrite most of the inbox's pages.
CREATE TABLE inbox_v5 (
  id          INTEGER PRIMARY KEY,
  user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  seq         INTEGER NOT NULL,
  message_row INTEGER NOT NULL,
  sealed_key  BLOB,
  UNIQUE (user_id, seq)
);
INSERT INTO inbox_v5 (user_id, seq, message_row, sealed_key)
  SELECT user_id, seq, message_row, sealed_key FROM inbox ORDER BY message_row, user_id;
DROP TABLE inbox;
ALTER TABLE inbox_v5 RENAME TO inbox;

PRAGMA user_version = 5;
)sql"},
    Migration{6, R"sql(
-- Login keys (DESIGN §5): the public half of the key that signs login challenges. Empty
-- for accounts from before, which still log in once with their auth_key and are then
-- given one (auth_verifier is emptied at that moment).
ALTER TABLE users ADD COLUMN login_public_key BLOB NOT NULL DEFAULT x'';

PRAGMA user_version = 6;
)sql"},
    Migration{7, R"sql(
-- Which server key the token hashes of this database are keyed with (a keyed hash of
-- it, never the key): a server with another key refuses to start.
CREATE TABLE server_key (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  verifier BLOB NOT NULL
);

PRAGMA user_version = 7;
)sql"},
    Migration{8, R"sql(
-- Sessions a user controls (DESIGN §5): each is bound to the key of the device that
-- opened it, has an id its owner names it by (random: see
-- docs/decisions.md), and expires when idle (expires_ms is
-- moved on by every use). Sessions from before cannot prove a device and are dropped:
-- their users log in once more.
DELETE FROM sessions;
ALTER TABLE sessions ADD COLUMN session_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN device_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN device_public_key BLOB NOT NULL DEFAULT x'';
ALTER TABLE sessions ADD COLUMN device_name TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN last_used_ms INTEGER NOT NULL DEFAULT 0;
CREATE INDEX sessions_by_user ON sessions (user_id, session_id);

PRAGMA user_version = 8;
)sql"},
    Migration{9, R"sql(
-- E2EE v2 prekeys (docs/e2ee-v2.md, "Prekeys on the server"), per (user, device). One
-- signed prekey per device, replaced at each publish; one-time prekeys are deleted as
-- they are handed out. Ids are the device's uint32 key ids.
CREATE TABLE signed_prekeys (
  user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  device_id  INTEGER NOT NULL,
  key_id     INTEGER NOT NULL,
  public_key BLOB    NOT NULL,
  signature  BLOB    NOT NULL,
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY (user_id, device_id)
) WITHOUT ROWID;

CREATE TABLE one_time_prekeys (
  user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  device_id  INTEGER NOT NULL,
  key_id     INTEGER NOT NULL,
  public_key BLOB    NOT NULL,
  PRIMARY KEY (user_id, device_id, key_id)
) WITHOUT ROWID;

PRAGMA user_version = 9;
)sql"},
    Migration{10, R"sql(
-- Signed group membership (docs/e2ee-v2.md, "Group membership"): each group's chain of
-- records, as the bytes its members signed; seq 1, 2, ... without gaps.
CREATE TABLE group_membership (
  group_id INTEGER NOT NULL REFERENCES chat_groups (id) ON DELETE CASCADE,
  seq      INTEGER NOT NULL,
  record   BLOB    NOT NULL,
  PRIMARY KEY (group_id, seq)
) WITHOUT ROWID;

-- user_id blocks blocked_id: no direct messages from, no adding to groups by blocked_id.
CREATE TABLE blocks (
  user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  blocked_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (user_id, blocked_id)
) WITHOUT ROWID;

PRAGMA user_version = 10;
)sql"},
};
static_assert(kMigrations.size() == kSchemaVersion);

}  // namespace

Result<int> schema_version(Connection& db) {
  auto version = db.query_int64("PRAGMA user_version");
  if (!version) return version.status();
  return static_cast<int>(*version);
}

namespace {

// The current version, refused when it is newer than this build.
Result<int> known_version(Connection& db) {
  auto current = schema_version(db);
  if (current && *current > kSchemaVersion) {
    return Result<int>(Code::kInternal, "database schema version " + std::to_string(*current) +
                                            " is newer than this build's " +
                                            std::to_string(kSchemaVersion));
  }
  return current;
}

}  // namespace

Status migrate(Connection& db, int target) {
  if (target < 0 || target > kSchemaVersion) {
    return {Code::kInternal, "no schema version " + std::to_string(target)};
  }
  auto before = known_version(db);
  if (!before) return before.status();
  for (const Migration& migration : kMigrations) {
    if (migration.version > target) break;
    if (migration.version <= *before) continue;
    auto txn = Transaction::begin(db);
    if (!txn) return txn.status();
    // Read again under the write lock: another process may have migrated meanwhile.
    auto current = known_version(db);
    if (!current) return current.status();
    if (*current >= migration.version) continue;
    if (Status s = db.exec(migration.sql); !s) return s;
    auto applied = schema_version(db);
    if (!applied) return applied.status();
    if (*applied != migration.version) {
      return {Code::kInternal,
              "migration " + std::to_string(migration.version) + " did not set user_version"};
    }
    if (Status s = txn->commit(); !s) return s;
  }
  return {};
}

}  // namespace fastchat::store::sqlite
