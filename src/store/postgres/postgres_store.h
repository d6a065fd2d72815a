// PostgresStore: the cluster Store backend. Several servers share one PostgreSQL
// database; each keeps a bounded pool of connections with the store's statements
// prepared, and sends every call's statements in one pipeline (one round trip; two for
// a group commit, whatever its size). Commits are durable when they return
// (synchronous_commit=on). Behaves like the SQLite store in everything store.h
// promises (the backend-neutral suite in tests/unit/store runs against both).
//
// While PostgreSQL is unreachable every call fails quickly with kUnavailable; broken
// connections are replaced on next use, so service resumes by itself when it returns.
//
// Thread safety: every method may be called from any thread, concurrently; each call
// borrows a connection from the pool for its duration.
#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace fastchat::store::postgres {

class PgPool;

struct PostgresOptions {
  int max_connections = 8;
  int acquire_timeout_ms = 5'000;    // waiting for a busy pool's connection
  int connect_timeout_s = 5;         // unless the URL sets connect_timeout
  int io_timeout_ms = 30'000;        // the longest a round trip may take
  int retry_connect_after_ms = 250;  // after a failed connect, fail fast this long
  int deadlock_retries = 3;          // transactions retried after a deadlock
};

// What a connection runs with, for start-up logs and tests.
struct PostgresSettings {
  std::string server_version;
  std::string synchronous_commit;  // "on"
  std::string fsync;               // "on"
  int schema_version = 0;
};

class PostgresStore final : public Store {
 public:
  // Connects to `url` (postgresql://user@host:port/db?param=...) and migrates the
  // database to the latest schema. kUnavailable when it cannot be reached.
  static Result<std::unique_ptr<PostgresStore>> open(const std::string& url,
                                                     const PostgresOptions& options = {});
  ~PostgresStore() override;

  Result<PostgresSettings> settings();
  // Connections open now (idle and in use), for tests.
  int open_connections() const;

  Result<UserId> create_user(const NewUser& user) override;
  Result<UserRecord> find_user(std::string_view username) override;
  Result<UserRecord> find_user_by_id(UserId id) override;
  Status set_login_key(UserId user, std::string_view login_public_key) override;
  Result<std::size_t> revoke_sessions_except(UserId user, std::string_view keep) override;
  Result<std::string> claim_server_key(std::string_view verifier) override;
  Result<std::vector<UserRecord>> list_users(std::string_view pattern, std::size_t limit,
                                             std::string_view after) override;

  Result<std::vector<Status>> write_sessions(std::span<const SessionWrite> writes) override;
  Result<UserRecord> find_session(std::string_view token_hash, std::int64_t now_ms) override;

  Result<GroupRecord> create_group(std::string_view name, UserId creator,
                                   std::span<const UserId> members) override;
  Result<GroupRecord> get_group(GroupId id) override;
  Result<std::vector<GroupRecord>> list_groups(UserId member, GroupId after_group_id,
                                               std::size_t limit) override;
  Result<std::vector<std::size_t>> count_groups(std::span<const UserId> users) override;
  Status add_member(GroupId group, UserId user) override;
  Status remove_member(GroupId group, UserId user) override;
  Status append_membership(const MembershipAppend& append) override;
  Result<std::vector<MembershipEntry>> read_membership(GroupId group, std::uint64_t after_seq,
                                                       std::size_t limit) override;
  Result<MembershipEntry> last_membership(GroupId group) override;
  Status set_blocked(UserId user, UserId blocked, bool block, std::int64_t now_ms) override;
  Result<std::vector<std::string>> list_blocked(UserId user, std::size_t limit) override;
  Result<std::vector<bool>> which_block(std::span<const UserId> users, UserId other) override;

  Result<std::vector<CommitOutcome>> commit_messages(
      std::span<const OutgoingMessage> messages) override;
  Result<std::vector<InboxItem>> read_inbox(UserId user, std::uint64_t after_seq,
                                            std::size_t limit) override;
  Status ack_inbox(std::span<const AckRecord> acks) override;

  Result<std::size_t> purge_tombstones(std::int64_t before_ms, std::size_t limit) override;

  // Sessions a user controls.
  Result<SessionLookup> lookup_session(std::string_view token_hash, std::int64_t now_ms) override;
  Status touch_session(std::string_view token_hash, std::int64_t last_used_ms,
                       std::int64_t expires_ms) override;
  Result<std::vector<SessionRecord>> list_sessions(UserId user, std::int64_t now_ms,
                                                   std::size_t limit) override;
  Result<std::size_t> revoke_session(UserId user, std::uint32_t session_id) override;
  Result<std::size_t> publish_prekeys(const PrekeyUpload& upload,
                                      const PrekeyLimits& limits) override;
  Result<std::size_t> count_one_time_prekeys(UserId user, std::uint32_t device_id) override;
  Result<std::vector<StoredPrekeyBundle>> take_prekey_bundles(UserId user) override;

 private:
  PostgresStore(std::unique_ptr<PgPool> pool, int deadlock_retries);

  // Runs `body(PgConnection&)` on a pooled connection; again, on another, after a
  // deadlock or serialization failure (up to deadlock_retries_ times).
  template <typename Body>
  auto run(Body&& body);

  std::unique_ptr<PgPool> pool_;
  const int deadlock_retries_;
};

// For open_store(): a PostgresStore with default options.
Result<std::unique_ptr<Store>> open_postgres_store(const std::string& url);

}  // namespace fastchat::store::postgres
