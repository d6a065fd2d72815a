// SqliteStore: the embedded Store backend (single node, the default): one SQLite file in
// WAL mode with synchronous=FULL, so a returned commit survives kill -9 and power loss.
//
// Thread safety: every method may be called from any thread, concurrently. Writes go
// through one writer connection under a mutex (SQLite has one writer at a time anyway,
// and batching makes that cheap); reads use a small pool of read-only connections, which
// WAL lets run alongside the writer.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "store/store.h"

namespace fastchat::store::sqlite {

class Connection;
class ConnectionPool;
class MessageWriter;

struct SqliteOptions {
  int read_connections = 4;
  int busy_timeout_ms = 5000;  // how long to wait for another process's lock
};

// What the writer connection runs with, for start-up logs and tests.
struct SqliteSettings {
  std::string journal_mode;  // "wal"
  int synchronous = 0;       // 2 = FULL
  bool foreign_keys = false;
  int busy_timeout_ms = 0;
  int schema_version = 0;
};

class SqliteStore final : public Store {
 public:
  // Opens or creates the database file at `path` and migrates it to the latest schema.
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path,
                                                   const SqliteOptions& options = {});
  ~SqliteStore() override;

  Result<SqliteSettings> settings();

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
  BatchResult commit_batch(std::span<const OutgoingMessage> messages,
                           std::span<const AckRecord> acks) override;

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
  SqliteStore(std::unique_ptr<Connection> writer, std::unique_ptr<ConnectionPool> readers);

  std::mutex writer_mu_;
  std::unique_ptr<Connection> writer_;       // guarded by writer_mu_
  std::unique_ptr<MessageWriter> messages_;  // guarded by writer_mu_; uses writer_
  std::unique_ptr<ConnectionPool> readers_;  // thread-safe
};

}  // namespace fastchat::store::sqlite
