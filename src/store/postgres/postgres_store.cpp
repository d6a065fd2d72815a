#include "store/postgres/postgres_store.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <type_traits>
#include <utility>

#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_membership.h"
#include "store/postgres/pg_message_writer.h"
#include "store/postgres/pg_migrations.h"
#include "store/postgres/pg_pool.h"
#include "store/postgres/pg_prekeys.h"
#include "store/postgres/pg_statements.h"
#include "store/sql_int.h"

namespace fastchat::store::postgres {
namespace {

constexpr char kUniqueViolation[] = "23505";
constexpr char kForeignKeyViolation[] = "23503";

// The columns of FASTCHAT_USER_COLUMNS (pg_statements.cpp).
UserRecord read_user(const PgResult& result, int row) {
  UserRecord user;
  user.id = result.int64(row, 0);
  user.username = result.text(row, 1);
  user.auth_verifier = result.text(row, 2);
  user.identity.sign_public_key = result.text(row, 3);
  user.identity.box_public_key = result.text(row, 4);
  user.identity.signature = result.text(row, 5);
  user.acked_seq = static_cast<std::uint64_t>(result.int64(row, 6));
  user.last_seq = static_cast<std::uint64_t>(result.int64(row, 7));
  user.login_public_key = result.text(row, 8);
  return user;
}

// Sessions a user controls: not on the hot path, so sent unprepared.
#define FASTCHAT_SESSION_COLUMNS                                                      \
  "sessions.token_hash, sessions.user_id, sessions.created_ms, sessions.expires_ms, " \
  "sessions.session_id, sessions.device_id, sessions.device_public_key, "             \
  "sessions.device_name, sessions.last_used_ms"
constexpr char kLookupSession[] =
    "SELECT u.id, u.username, u.auth_verifier, u.sign_public_key, u.box_public_key, "
    "u.key_signature, u.acked_seq, u.last_seq, u.login_public_key, " FASTCHAT_SESSION_COLUMNS
    " FROM sessions JOIN users AS u ON u.id = sessions.user_id WHERE token_hash = $1::bytea";
constexpr char kTouchSession[] =
    "UPDATE sessions SET last_used_ms = $2::int8, expires_ms = $3::int8 "
    "WHERE token_hash = $1::bytea";
constexpr char kListSessions[] =
    "SELECT " FASTCHAT_SESSION_COLUMNS
    " FROM sessions WHERE user_id = $1::int8 AND expires_ms > $2::int8 "
    "ORDER BY last_used_ms DESC, session_id LIMIT $3::int8";
constexpr char kRevokeSession[] =
    "DELETE FROM sessions WHERE user_id = $1::int8 AND session_id = $2::int8";

// The FASTCHAT_SESSION_COLUMNS of `row` from column `first` on.
SessionRecord read_session(const PgResult& result, int row, int first) {
  SessionRecord session;
  session.token_hash = result.text(row, first);
  session.user_id = result.int64(row, first + 1);
  session.created_ms = result.int64(row, first + 2);
  session.expires_ms = result.int64(row, first + 3);
  session.session_id = static_cast<std::uint32_t>(result.int64(row, first + 4));
  session.device_id = static_cast<std::uint32_t>(result.int64(row, first + 5));
  session.device_public_key = result.text(row, first + 6);
  session.device_name = result.text(row, first + 7);
  session.last_used_ms = result.int64(row, first + 8);
  return session;
}

Result<UserRecord> one_user(const PgResult& result) {
  if (result.rows() == 0) return Result<UserRecord>(Code::kUnknownUser, "unknown user");
  return read_user(result, 0);
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

template <typename Body>
auto PostgresStore::run(Body&& body) {
  using R = std::invoke_result_t<Body&, PgConnection&>;
  for (int attempt = 0;; ++attempt) {
    auto lease = pool_->acquire();
    if (!lease) return R(lease.status());
    R result = body(**lease);
    if (result.is_ok() || attempt >= deadlock_retries_ || !is_retryable((*lease)->sqlstate())) {
      return result;
    }
  }
}

Result<std::unique_ptr<PostgresStore>> PostgresStore::open(const std::string& url,
                                                           const PostgresOptions& options) {
  PgConnectOptions connect;
  connect.url = url;
  connect.connect_timeout_s = options.connect_timeout_s;
  connect.io_timeout_ms = options.io_timeout_ms;
  {
    // Statements can only be prepared once their tables exist: migrate first, on a
    // connection of its own.
    auto db = PgConnection::connect(connect);
    if (!db) return db.status();
    if (Status s = migrate(**db); !s) return s;
  }
  PgPoolOptions pool;
  pool.connection = connect;
  pool.connection.statements = prepared_statements();
  pool.max_connections = std::max(1, options.max_connections);
  pool.acquire_timeout_ms = options.acquire_timeout_ms;
  pool.retry_connect_after_ms = options.retry_connect_after_ms;
  return std::unique_ptr<PostgresStore>(
      new PostgresStore(std::make_unique<PgPool>(std::move(pool)), options.deadlock_retries));
}

PostgresStore::PostgresStore(std::unique_ptr<PgPool> pool, int deadlock_retries)
    : pool_(std::move(pool)), deadlock_retries_(std::max(0, deadlock_retries)) {}

PostgresStore::~PostgresStore() = default;

int PostgresStore::open_connections() const {
  return pool_->open_connections();
}

Result<PostgresSettings> PostgresStore::settings() {
  return run([](PgConnection& db) -> Result<PostgresSettings> {
    std::vector<PgResult> results;
    db.send_sql("SHOW server_version");
    db.send_sql("SHOW synchronous_commit");
    db.send_sql("SHOW fsync");
    if (Status s = db.sync(results); !s) return s;
    PostgresSettings settings;
    settings.server_version = results[0].text(0, 0);
    settings.synchronous_commit = results[1].text(0, 0);
    settings.fsync = results[2].text(0, 0);
    auto version = schema_version(db);
    if (!version) return version.status();
    settings.schema_version = *version;
    return settings;
  });
}

// --- accounts

Result<UserId> PostgresStore::create_user(const NewUser& user) {
  return run([&](PgConnection& db) -> Result<UserId> {
    std::vector<PgResult> results;
    send(db, Sql::kCreateUser,
         PgParams()
             .bytes(user.username)
             .bytes(user.auth_verifier)
             .bytes(user.identity.sign_public_key)
             .bytes(user.identity.box_public_key)
             .bytes(user.identity.signature)
             .int64(user.created_ms)
             .bytes(user.login_public_key));
    if (Status s = db.sync(results); !s) {
      if (db.sqlstate() == kUniqueViolation) {
        return Result<UserId>(Code::kUsernameTaken, "username taken");
      }
      return s;
    }
    return results[0].int64(0, 0);
  });
}

Result<UserRecord> PostgresStore::find_user(std::string_view username) {
  return run([&](PgConnection& db) -> Result<UserRecord> {
    std::vector<PgResult> results;
    send(db, Sql::kFindUserByName, PgParams().bytes(username));
    if (Status s = db.sync(results); !s) return s;
    return one_user(results[0]);
  });
}

Status PostgresStore::set_login_key(UserId user, std::string_view login_public_key) {
  return run([&](PgConnection& db) -> Status {
    std::vector<PgResult> results;
    send(db, Sql::kSetLoginKey, PgParams().int64(user).bytes(login_public_key));
    if (Status s = db.sync(results); !s) return s;
    if (results[0].affected_rows() != 1) return {Code::kUnknownUser, "unknown user"};
    return {};
  });
}

Result<std::size_t> PostgresStore::revoke_sessions_except(UserId user, std::string_view keep) {
  return run([&](PgConnection& db) -> Result<std::size_t> {
    std::vector<PgResult> results;
    send(db, Sql::kRevokeSessionsExcept, PgParams().int64(user).bytes(keep));
    if (Status s = db.sync(results); !s) return s;
    return static_cast<std::size_t>(results[0].affected_rows());
  });
}

Result<std::string> PostgresStore::claim_server_key(std::string_view verifier) {
  return run([&](PgConnection& db) -> Result<std::string> {
    std::vector<PgResult> results;
    send(db, Sql::kClaimServerKey, PgParams().bytes(verifier));
    if (Status s = db.sync(results); !s) return s;
    if (results[0].rows() < 1) return Status(Code::kInternal, "no server key recorded");
    return results[0].text(0, 0);
  });
}

Result<UserRecord> PostgresStore::find_user_by_id(UserId id) {
  return run([&](PgConnection& db) -> Result<UserRecord> {
    std::vector<PgResult> results;
    send(db, Sql::kFindUserById, PgParams().int64(id));
    if (Status s = db.sync(results); !s) return s;
    return one_user(results[0]);
  });
}

Result<std::vector<UserRecord>> PostgresStore::list_users(std::string_view pattern,
                                                          std::size_t limit,
                                                          std::string_view after) {
  if (limit == 0) return std::vector<UserRecord>();
  const std::string like = contains_pattern(pattern);
  return run([&](PgConnection& db) -> Result<std::vector<UserRecord>> {
    std::vector<PgResult> results;
    send(db, Sql::kListUsers, PgParams().bytes(like).int64(clamp_to_int64(limit)).bytes(after));
    if (Status s = db.sync(results); !s) return s;
    std::vector<UserRecord> users;
    users.reserve(static_cast<std::size_t>(results[0].rows()));
    for (int row = 0; row < results[0].rows(); ++row)
      users.push_back(read_user(results[0], row));
    return users;
  });
}

// --- sessions

namespace {

// Queues `writes` on `db` as one implicit transaction (sent at the next sync).
void send_session_writes(PgConnection& db, std::span<const SessionWrite> writes) {
  std::int64_t newest = 0;
  for (const SessionWrite& write : writes) {
    if (write.kind == SessionWrite::Kind::kCreate) {
      newest = std::max(newest, write.session.created_ms);
    }
  }
  // Sessions that expired before the newest of these began are dead: the table stays
  // bounded. In the same transaction: a refused batch purges nothing either.
  if (newest != 0) send(db, Sql::kPurgeSessions, PgParams().int64(newest));
  for (const SessionWrite& write : writes) {
    const SessionRecord& session = write.session;
    if (write.kind == SessionWrite::Kind::kRevoke) {
      send(db, Sql::kDeleteSession, PgParams().bytes(session.token_hash));
      continue;
    }
    send(db, Sql::kInsertSession,
         PgParams()
             .bytes(session.token_hash)
             .int64(session.user_id)
             .int64(session.created_ms)
             .int64(session.expires_ms)
             .int64(session.session_id)
             .int64(session.device_id)
             .bytes(session.device_public_key)
             .bytes(session.device_name)
             .int64(session.last_used_ms));
  }
}

// The Status of a session insert PostgreSQL refused; nullopt for any other failure.
std::optional<Status> session_refusal(const PgConnection& db) {
  if (db.sqlstate() == kForeignKeyViolation) return Status(Code::kUnknownUser, "unknown user");
  if (db.sqlstate() == kUniqueViolation) {
    return Status(Code::kInternal, "session token or id already exists");
  }
  return std::nullopt;
}

}  // namespace

Result<std::vector<Status>> PostgresStore::write_sessions(std::span<const SessionWrite> writes) {
  std::vector<Status> results(writes.size());
  if (writes.empty()) return results;
  bool refused = false;
  Status batch = run([&](PgConnection& db) -> Status {
    send_session_writes(db, writes);
    Status s = db.sync();
    refused = !s && session_refusal(db).has_value();
    return refused ? Status() : s;
  });
  if (!batch) return batch;
  if (!refused) return results;
  // One write was refused, which rolled the whole batch back: apply them one by one to
  // tell which (rare: a session for a user that does not exist).
  for (std::size_t i = 0; i < writes.size(); ++i) {
    std::optional<Status> refusal;
    Status one = run([&](PgConnection& db) -> Status {
      send_session_writes(db, writes.subspan(i, 1));
      Status s = db.sync();
      refusal = s ? std::nullopt : session_refusal(db);
      return refusal ? Status() : s;
    });
    if (!one) return one;
    if (refusal) results[i] = std::move(*refusal);
  }
  return results;
}

Result<UserRecord> PostgresStore::find_session(std::string_view token_hash, std::int64_t now_ms) {
  return run([&](PgConnection& db) -> Result<UserRecord> {
    std::vector<PgResult> results;
    send(db, Sql::kFindSession, PgParams().bytes(token_hash));
    if (Status s = db.sync(results); !s) return s;
    if (results[0].rows() == 0) return Result<UserRecord>(Code::kAuthFailed, "unknown session");
    if (results[0].int64(0, 9) <= now_ms) {
      return Result<UserRecord>(Code::kAuthFailed, "session expired");
    }
    return read_user(results[0], 0);
  });
}

Result<SessionLookup> PostgresStore::lookup_session(std::string_view token_hash,
                                                    std::int64_t now_ms) {
  return run([&](PgConnection& db) -> Result<SessionLookup> {
    std::vector<PgResult> results;
    db.send_sql(kLookupSession, PgParams().bytes(token_hash));
    if (Status s = db.sync(results); !s) return s;
    if (results[0].rows() == 0) return Result<SessionLookup>(Code::kAuthFailed, "unknown session");
    SessionLookup found{read_user(results[0], 0), read_session(results[0], 0, 9)};
    if (found.session.expires_ms <= now_ms) {
      return Result<SessionLookup>(Code::kAuthFailed, "session expired");
    }
    return found;
  });
}

Status PostgresStore::touch_session(std::string_view token_hash, std::int64_t last_used_ms,
                                    std::int64_t expires_ms) {
  return run([&](PgConnection& db) -> Status {
    db.send_sql(kTouchSession, PgParams().bytes(token_hash).int64(last_used_ms).int64(expires_ms));
    return db.sync();
  });
}

Result<std::vector<SessionRecord>> PostgresStore::list_sessions(UserId user, std::int64_t now_ms,
                                                                std::size_t limit) {
  if (limit == 0) return std::vector<SessionRecord>();
  return run([&](PgConnection& db) -> Result<std::vector<SessionRecord>> {
    std::vector<PgResult> results;
    db.send_sql(kListSessions, PgParams().int64(user).int64(now_ms).int64(clamp_to_int64(limit)));
    if (Status s = db.sync(results); !s) return s;
    std::vector<SessionRecord> sessions;
    for (int row = 0; row < results[0].rows(); ++row)
      sessions.push_back(read_session(results[0], row, 0));
    return sessions;
  });
}

Result<std::size_t> PostgresStore::revoke_session(UserId user, std::uint32_t session_id) {
  return run([&](PgConnection& db) -> Result<std::size_t> {
    std::vector<PgResult> results;
    db.send_sql(kRevokeSession, PgParams().int64(user).int64(session_id));
    if (Status s = db.sync(results); !s) return s;
    return static_cast<std::size_t>(results[0].affected_rows());
  });
}

// --- groups

Result<GroupRecord> PostgresStore::create_group(std::string_view name, UserId creator,
                                                std::span<const UserId> members) {
  std::vector<std::int64_t> ids;
  ids.reserve(members.size() + 1);
  ids.push_back(creator);
  ids.insert(ids.end(), members.begin(), members.end());
  return run([&](PgConnection& db) -> Result<GroupRecord> {
    std::vector<PgResult> results;
    send(db, Sql::kCreateGroup, PgParams().bytes(name).int64_array(ids));
    if (Status s = db.sync(results); !s) {
      if (db.sqlstate() == kForeignKeyViolation) {
        return Result<GroupRecord>(Code::kUnknownUser, "unknown user");  // nothing is created
      }
      return s;
    }
    const PgResult& rows = results[0];
    if (rows.rows() == 0) return Result<GroupRecord>(Code::kInternal, "group without members");
    GroupRecord group;
    group.id = static_cast<GroupId>(rows.int64(0, 0));
    group.name = name;
    group.members.reserve(static_cast<std::size_t>(rows.rows()));
    for (int row = 0; row < rows.rows(); ++row) {
      group.members.push_back({rows.int64(row, 1), rows.text(row, 2), rows.boolean(row, 3)});
    }
    return group;
  });
}

Result<GroupRecord> PostgresStore::get_group(GroupId id) {
  if (!storable_group_id(id)) return Result<GroupRecord>(Code::kUnknownGroup, "unknown group");
  return run([&](PgConnection& db) -> Result<GroupRecord> {
    std::vector<PgResult> results;
    send(db, Sql::kLoadGroup, PgParams().int64(static_cast<std::int64_t>(id)));
    if (Status s = db.sync(results); !s) return s;
    const PgResult& rows = results[0];
    if (rows.rows() == 0) return Result<GroupRecord>(Code::kUnknownGroup, "unknown group");
    GroupRecord group;
    group.id = id;
    group.name = rows.text(0, 0);
    for (int row = 0; row < rows.rows(); ++row) {
      if (rows.is_null(row, 1)) continue;  // no members left
      group.members.push_back({rows.int64(row, 1), rows.text(row, 2), rows.boolean(row, 3)});
    }
    return group;
  });
}

Result<std::vector<GroupRecord>> PostgresStore::list_groups(UserId member, GroupId after_group_id,
                                                            std::size_t limit) {
  return run([&](PgConnection& db) -> Result<std::vector<GroupRecord>> {
    std::vector<PgResult> results;
    send(db, Sql::kListGroups,
         PgParams()
             .int64(member)
             .int64(clamp_to_int64(after_group_id))
             .int64(clamp_to_int64(limit)));
    send(db, Sql::kUserExists, PgParams().int64(member));
    if (Status s = db.sync(results); !s) return s;
    const PgResult& rows = results[0];
    std::vector<GroupRecord> groups;
    for (int row = 0; row < rows.rows(); ++row) {
      const auto id = static_cast<GroupId>(rows.int64(row, 0));
      if (groups.empty() || groups.back().id != id) {
        GroupRecord& group = groups.emplace_back();
        group.id = id;
        group.name = rows.text(row, 1);
      }
      groups.back().members.push_back(
          {rows.int64(row, 2), rows.text(row, 3), rows.boolean(row, 4)});
    }
    if (groups.empty() && results[1].rows() == 0) {
      return Result<std::vector<GroupRecord>>(Code::kUnknownUser, "unknown user");
    }
    return groups;
  });
}

Result<std::vector<std::size_t>> PostgresStore::count_groups(std::span<const UserId> users) {
  const std::vector<std::int64_t> ids(users.begin(), users.end());
  return run([&](PgConnection& db) -> Result<std::vector<std::size_t>> {
    std::vector<PgResult> results;
    send(db, Sql::kCountGroups, PgParams().int64_array(ids));
    if (Status s = db.sync(results); !s) return s;
    std::vector<std::size_t> counts;
    counts.reserve(ids.size());
    for (int row = 0; row < results[0].rows(); ++row)
      counts.push_back(static_cast<std::size_t>(results[0].int64(row, 0)));
    return counts;
  });
}

Status PostgresStore::add_member(GroupId group, UserId user) {
  if (!storable_group_id(group)) return {Code::kUnknownGroup, "unknown group"};
  return run([&](PgConnection& db) -> Status {
    std::vector<PgResult> results;
    const auto id = static_cast<std::int64_t>(group);
    send(db, Sql::kLockGroup, PgParams().int64(id));
    send(db, Sql::kAddMember, PgParams().int64(id).int64(user));
    if (Status s = db.sync(results); !s) {
      if (db.sqlstate() == kForeignKeyViolation) return {Code::kUnknownUser, "unknown user"};
      return s;
    }
    if (results[0].rows() == 0) return {Code::kUnknownGroup, "unknown group"};
    return {};
  });
}

Status PostgresStore::remove_member(GroupId group, UserId user) {
  if (!storable_group_id(group)) return {Code::kUnknownGroup, "unknown group"};
  return run([&](PgConnection& db) -> Status {
    std::vector<PgResult> results;
    const auto id = static_cast<std::int64_t>(group);
    send(db, Sql::kLockGroup, PgParams().int64(id));
    send(db, Sql::kRemoveMember, PgParams().int64(id).int64(user));
    send(db, Sql::kPromoteOldest, PgParams().int64(id));
    if (Status s = db.sync(results); !s) return s;
    if (results[0].rows() == 0) return {Code::kUnknownGroup, "unknown group"};
    return {};
  });
}

// --- signed membership and blocks (pg_membership.cpp)

Status PostgresStore::append_membership(const MembershipAppend& append) {
  if (!storable_group_id(append.group)) return {Code::kUnknownGroup, "unknown group"};
  return run([&](PgConnection& db) { return postgres::append_membership(db, append); });
}

Result<std::vector<MembershipEntry>> PostgresStore::read_membership(GroupId group,
                                                                    std::uint64_t after_seq,
                                                                    std::size_t limit) {
  if (!storable_group_id(group)) return std::vector<MembershipEntry>();
  return run(
      [&](PgConnection& db) { return postgres::read_membership(db, group, after_seq, limit); });
}

Result<MembershipEntry> PostgresStore::last_membership(GroupId group) {
  if (!storable_group_id(group)) return MembershipEntry{};
  return run([&](PgConnection& db) { return postgres::last_membership(db, group); });
}

Status PostgresStore::set_blocked(UserId user, UserId blocked, bool block, std::int64_t now_ms) {
  return run(
      [&](PgConnection& db) { return postgres::set_blocked(db, user, blocked, block, now_ms); });
}

Result<std::vector<std::string>> PostgresStore::list_blocked(UserId user, std::size_t limit) {
  return run([&](PgConnection& db) { return postgres::list_blocked(db, user, limit); });
}

Result<std::vector<bool>> PostgresStore::which_block(std::span<const UserId> users, UserId other) {
  if (users.empty()) return std::vector<bool>();
  return run([&](PgConnection& db) { return postgres::which_block(db, users, other); });
}

// --- messages

Result<std::vector<CommitOutcome>> PostgresStore::commit_messages(
    std::span<const OutgoingMessage> messages) {
  if (messages.empty()) return std::vector<CommitOutcome>();
  return run([&](PgConnection& db) { return postgres::commit_messages(db, messages); });
}

Result<std::vector<InboxItem>> PostgresStore::read_inbox(UserId user, std::uint64_t after_seq,
                                                         std::size_t limit) {
  return run([&](PgConnection& db) -> Result<std::vector<InboxItem>> {
    std::vector<PgResult> results;
    if (limit > 0) {
      send(db, Sql::kReadInbox,
           PgParams().int64(user).int64(clamp_to_int64(after_seq)).int64(clamp_to_int64(limit)));
    }
    send(db, Sql::kUserExists, PgParams().int64(user));
    if (Status s = db.sync(results); !s) return s;
    std::vector<InboxItem> items;
    if (limit > 0) {
      const PgResult& rows = results[0];
      items.reserve(static_cast<std::size_t>(rows.rows()));
      for (int row = 0; row < rows.rows(); ++row) {
        auto message_id = MessageId::from_bytes(rows.bytes(row, 1));
        if (!message_id) return Result<std::vector<InboxItem>>(Code::kInternal, "bad message id");
        InboxItem& item = items.emplace_back();
        item.seq = static_cast<std::uint64_t>(rows.int64(row, 0));
        item.message_id = *message_id;
        item.sender = rows.text(row, 2);
        item.group_id = static_cast<GroupId>(rows.int64(row, 3));  // NULL reads as 0
        item.body = rows.text(row, 4);
        item.sealed_key = rows.text(row, 5);  // NULL reads as ""
        item.server_time_ms = rows.int64(row, 6);
      }
    }
    if (items.empty() && results.back().rows() == 0) {
      return Result<std::vector<InboxItem>>(Code::kUnknownUser, "unknown user");
    }
    return items;
  });
}

Status PostgresStore::ack_inbox(std::span<const AckRecord> acks) {
  if (acks.empty()) return {};
  return run([&](PgConnection& db) { return postgres::ack_inbox(db, acks); });
}

// --- housekeeping

Result<std::size_t> PostgresStore::purge_tombstones(std::int64_t before_ms, std::size_t limit) {
  const auto capped =
      static_cast<std::int64_t>(std::min<std::size_t>(limit, static_cast<std::size_t>(INT64_MAX)));
  return run([&](PgConnection& db) -> Result<std::size_t> {
    std::vector<PgResult> results;
    send(db, Sql::kPurgeTombstones, PgParams().int64(before_ms).int64(capped));
    if (Status s = db.sync(results); !s) return s;
    return static_cast<std::size_t>(results[0].int64(0, 0));
  });
}

Result<std::unique_ptr<Store>> open_postgres_store(const std::string& url) {
  auto store = PostgresStore::open(url);
  if (!store) return store.status();
  return std::unique_ptr<Store>(std::move(store).value());
}

}  // namespace fastchat::store::postgres

// --- E2EE v2 prekeys (pg_prekeys.cpp)
namespace fastchat::store::postgres {

Result<std::size_t> PostgresStore::publish_prekeys(const PrekeyUpload& upload,
                                                   const PrekeyLimits& limits) {
  return run([&](PgConnection& db) { return postgres::publish_prekeys(db, upload, limits); });
}

Result<std::size_t> PostgresStore::count_one_time_prekeys(UserId user, std::uint32_t device_id) {
  return run(
      [&](PgConnection& db) { return postgres::count_one_time_prekeys(db, user, device_id); });
}

Result<std::vector<StoredPrekeyBundle>> PostgresStore::take_prekey_bundles(UserId user) {
  return run([&](PgConnection& db) { return postgres::take_prekey_bundles(db, user); });
}

}  // namespace fastchat::store::postgres
