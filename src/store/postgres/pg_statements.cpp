#include "store/postgres/pg_statements.h"

#include <array>

namespace fastchat::store::postgres {
namespace {

#define FASTCHAT_USER_COLUMNS                                                                \
  "id, username, auth_verifier, sign_public_key, box_public_key, key_signature, acked_seq, " \
  "last_seq, login_public_key"

constexpr std::array<const char*, static_cast<std::size_t>(Sql::kCount)> kStatements = {
    // kCreateUser
    "INSERT INTO users (username, auth_verifier, sign_public_key, box_public_key, "
    "key_signature, created_ms, login_public_key) VALUES ($1::text, $2::bytea, $3::bytea, "
    "$4::bytea, $5::bytea, $6::int8, $7::bytea) RETURNING id",
    // kSetLoginKey
    "UPDATE users SET login_public_key = $2::bytea, auth_verifier = ''::bytea WHERE id = $1::int8",
    // kFindUserByName: usernames compare case-insensitively (served by users_username_key)
    "SELECT " FASTCHAT_USER_COLUMNS " FROM users WHERE lower(username) = lower($1::text)",
    // kFindUserById
    "SELECT " FASTCHAT_USER_COLUMNS " FROM users WHERE id = $1::int8",
    // kListUsers: $1 is a LIKE pattern with \ escapes
    "SELECT " FASTCHAT_USER_COLUMNS
    " FROM users WHERE lower(username) LIKE lower($1::text) "
    "ESCAPE '\\' AND lower(username) > lower($3::text) ORDER BY lower(username) LIMIT $2::int8",
    // kUserExists
    "SELECT 1 FROM users WHERE id = $1::int8",
    // kPurgeSessions
    "DELETE FROM sessions WHERE expires_ms <= $1::int8",
    // kInsertSession
    "INSERT INTO sessions (token_hash, user_id, created_ms, expires_ms, session_id, device_id, "
    "device_public_key, device_name, last_used_ms) VALUES ($1::bytea, $2::int8, $3::int8, "
    "$4::int8, $5::int8, $6::int8, $7::bytea, $8::text, $9::int8)",
    // kFindSession: the user's columns, then the session's expiry
    "SELECT " FASTCHAT_USER_COLUMNS
    ", expires_ms FROM sessions JOIN users ON id = user_id WHERE token_hash = $1::bytea",
    // kRevokeSessionsExcept
    "DELETE FROM sessions WHERE user_id = $1::int8 AND token_hash <> $2::bytea",
    // kDeleteSession
    "DELETE FROM sessions WHERE token_hash = $1::bytea",
    // kClaimServerKey: the recorded verifier, this one if there was none.
    "WITH claimed AS (INSERT INTO server_key (id, verifier) VALUES (1, $1::bytea) "
    "ON CONFLICT (id) DO NOTHING RETURNING verifier) "
    "SELECT verifier FROM claimed UNION ALL SELECT verifier FROM server_key WHERE id = 1",

    // kCreateGroup: $2 is the creator followed by the members. One statement, so the
    // group and its members appear together or not at all (an unknown user fails the
    // foreign key). Members join in the order given (group_members.id); repeats and the
    // creator listed again are skipped; the first is the admin.
    "WITH g AS (INSERT INTO chat_groups (name) VALUES ($1::text) RETURNING id), "
    "m AS (INSERT INTO group_members (group_id, user_id, admin) "
    "  SELECT g.id, u.user_id, u.ord = 1 "
    "  FROM g CROSS JOIN unnest($2::int8[]) WITH ORDINALITY AS u (user_id, ord) ORDER BY u.ord "
    "  ON CONFLICT (group_id, user_id) DO NOTHING RETURNING id, group_id, user_id, admin) "
    "SELECT m.group_id, m.user_id, u.username, m.admin FROM m JOIN users AS u ON u.id = m.user_id "
    "ORDER BY m.id",
    // kLoadGroup: one statement, so name and members come from one snapshot; LEFT JOIN
    // keeps a group whose members all left.
    "SELECT g.name, m.user_id, u.username, m.admin FROM chat_groups AS g "
    "LEFT JOIN group_members AS m ON m.group_id = g.id "
    "LEFT JOIN users AS u ON u.id = m.user_id "
    "WHERE g.id = $1::int8 ORDER BY m.id",
    // kListGroups
    "SELECT g.id, g.name, m.user_id, u.username, m.admin FROM group_members AS me "
    "JOIN chat_groups AS g ON g.id = me.group_id "
    "JOIN group_members AS m ON m.group_id = me.group_id "
    "JOIN users AS u ON u.id = m.user_id "
    "WHERE me.user_id = $1::int8 AND me.group_id IN (SELECT group_id FROM group_members "
    "  WHERE user_id = $1::int8 AND group_id > $2::int8 ORDER BY group_id LIMIT $3::int8) "
    "ORDER BY g.id, m.id",
    // kCountGroups: one row per given user, in the order given
    "SELECT (SELECT count(*) FROM group_members WHERE user_id = u.id) "
    "FROM unnest($1::int8[]) WITH ORDINALITY AS u (id, ord) ORDER BY u.ord",
    // kLockGroup: membership changes take the group row exclusively; commits share it
    // (kLockGroups), so a message is checked against the membership it commits under.
    "SELECT 1 FROM chat_groups WHERE id = $1::int8 FOR NO KEY UPDATE",
    // kAddMember: a member joining a group without admins (everyone had left) becomes
    // its admin. Inserts nothing when the group does not exist (kLockGroup tells).
    "INSERT INTO group_members (group_id, user_id, admin) "
    "SELECT $1::int8, $2::int8, "
    "NOT EXISTS (SELECT 1 FROM group_members WHERE group_id = $1::int8 AND admin) "
    "WHERE EXISTS (SELECT 1 FROM chat_groups WHERE id = $1::int8) "
    "ON CONFLICT (group_id, user_id) DO NOTHING",
    // kRemoveMember
    "DELETE FROM group_members WHERE group_id = $1::int8 AND user_id = $2::int8",
    // kPromoteOldest: when no admin is left, the longest-standing member becomes one.
    "UPDATE group_members SET admin = true "
    "WHERE id = (SELECT min(id) FROM group_members WHERE group_id = $1::int8) "
    "AND NOT EXISTS (SELECT 1 FROM group_members WHERE group_id = $1::int8 AND admin)",

    // kLockGroups: shared, in id order (see kLockGroup).
    "SELECT id FROM chat_groups WHERE id = ANY($1::int8[]) ORDER BY id FOR SHARE",
    // kGroupMembers
    "SELECT group_id, user_id FROM group_members WHERE group_id = ANY($1::int8[]) "
    "ORDER BY group_id, user_id",
    // kChainLengths: after kLockGroups, which a membership change waits for (kLockGroup).
    "SELECT group_id, max(seq) FROM group_membership WHERE group_id = ANY($1::int8[]) "
    "GROUP BY group_id ORDER BY group_id",
    // kLockUsers: every user a batch touches (senders, recipients, members of its groups),
    // locked in id order so that concurrent commits (several servers) never deadlock, and
    // read after the lock: last_seq is then the truth until this transaction ends. FOR NO
    // KEY UPDATE does not block inserts that reference these rows (sessions, members).
    "SELECT u.id, u.last_seq FROM users AS u WHERE u.id IN ("
    "  SELECT unnest($1::int8[]) "
    "  UNION SELECT user_id FROM group_members WHERE group_id = ANY($2::int8[])) "
    "ORDER BY u.id FOR NO KEY UPDATE OF u",
    // kFindOriginals: messages of the batch already stored. Runs after kLockUsers, which
    // holds every sender: no one else can store one of these keys until we commit.
    "SELECT m.sender, m.message_id, m.server_time_ms "
    "FROM unnest($1::int8[], $2::uuid[]) AS k (sender, message_id) "
    "JOIN messages AS m ON m.sender = k.sender AND m.message_id = k.message_id",
    // kInsertMessages: the batch's new messages, one statement.
    "INSERT INTO messages (sender, message_id, group_id, body, server_time_ms, refs) "
    "SELECT * FROM unnest($1::int8[], $2::uuid[], $3::int8[], $4::bytea[], $5::int8[], "
    "$6::int4[])",
    // kInsertInbox: the batch's deliveries, one statement.
    "INSERT INTO inbox (user_id, seq, sender, message_id, sealed_key) "
    "SELECT * FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::uuid[], $5::bytea[])",
    // kStoreLastSeqs: one row per recipient of the batch.
    "UPDATE users AS u SET last_seq = s.last_seq "
    "FROM unnest($1::int8[], $2::int8[]) AS s (id, last_seq) WHERE u.id = s.id",

    // kReadInbox
    "SELECT i.seq, i.message_id, u.username, m.group_id, m.body, i.sealed_key, m.server_time_ms "
    "FROM inbox AS i "
    "JOIN messages AS m ON m.sender = i.sender AND m.message_id = i.message_id "
    "JOIN users AS u ON u.id = i.sender "
    "WHERE i.user_id = $1::int8 AND i.seq > $2::int8 ORDER BY i.seq LIMIT $3::int8",
    // kLockAckers: in id order, like kLockUsers.
    "SELECT id FROM users WHERE id = ANY($1::int8[]) ORDER BY id FOR NO KEY UPDATE",
    // kAdvanceAcks: acked_seq grows to min(up_to, last_seq), never shrinks. The ids are
    // distinct.
    "UPDATE users AS u SET acked_seq = least(a.up_to, u.last_seq) "
    "FROM unnest($1::int8[], $2::int8[]) AS a (id, up_to) "
    "WHERE u.id = a.id AND u.acked_seq < least(a.up_to, u.last_seq)",
    // kLockReleased: the group messages whose references kReleaseInbox drops, locked in
    // key order so that acks of members of one group never deadlock on them. (A direct
    // message has one inbox row, and its recipient is locked already; a group message's
    // rows have a key wrap (v1) or none (Sender Keys), so they are told by the group id.)
    // Inbox rows up to an earlier ack are gone already: these are exactly the newly
    // acknowledged ones.
    "SELECT 1 FROM messages AS m WHERE m.group_id IS NOT NULL AND (m.sender, m.message_id) IN ("
    "  SELECT i.sender, i.message_id FROM users AS u "
    "  JOIN inbox AS i ON i.user_id = u.id AND i.seq <= u.acked_seq "
    "  WHERE u.id = ANY($1::int8[])) "
    "ORDER BY m.sender, m.message_id FOR NO KEY UPDATE OF m",
    // kReleaseInbox: deletes acknowledged inbox rows; the messages lose the references,
    // and one whose last reference goes becomes a tombstone: its body is dropped, its key
    // stays to recognize a late retry until kPurgeTombstones.
    "WITH gone AS (DELETE FROM inbox AS i USING users AS u "
    "  WHERE u.id = ANY($1::int8[]) AND i.user_id = u.id AND i.seq <= u.acked_seq "
    "  RETURNING i.sender, i.message_id), "
    "released AS (SELECT sender, message_id, count(*)::int4 AS n FROM gone "
    "  GROUP BY sender, message_id) "
    "UPDATE messages AS m SET refs = greatest(m.refs - r.n, 0), "
    "  body = CASE WHEN m.refs <= r.n THEN ''::bytea ELSE m.body END "
    "FROM released AS r WHERE m.sender = r.sender AND m.message_id = r.message_id",

    // kPurgeTombstones: found by the partial index messages_tombstones, which holds only
    // tombstones; returns how many went.
    "WITH gone AS (DELETE FROM messages WHERE (sender, message_id) IN ("
    "  SELECT sender, message_id FROM messages WHERE refs = 0 AND server_time_ms < $1::int8 "
    "  LIMIT $2::int8) RETURNING 1) "
    "SELECT count(*) FROM gone",
};

#undef FASTCHAT_USER_COLUMNS

}  // namespace

std::span<const char* const> prepared_statements() {
  return kStatements;
}

}  // namespace fastchat::store::postgres
