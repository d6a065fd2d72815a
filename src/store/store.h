// Store: everything the server keeps durably (accounts, sessions, groups, messages,
// inboxes), behind one interface with two backends: SQLite (single node, the
// default) and PostgreSQL (cluster). Nothing else in the server knows which runs.
//
// Thread safety: every method may be called from any thread, concurrently.
// Methods block (disk, network): never call them on an event loop; the server runs
// them on its store workers (src/server/store_worker.h).
//
// Errors: kUnavailable when the database cannot be reached (retry later); the
// documented per-method codes otherwise; kInternal for anything unexpected.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/message_id.h"
#include "common/status.h"

namespace fastchat::store {

struct IdentityKeys {
  std::string sign_public_key;
  std::string box_public_key;
  std::string signature;
};

struct NewUser {
  std::string username;          // canonical (lower case), validated by the caller
  std::string auth_verifier;     // legacy accounts only: keyed hash of the client's auth_key
  std::string login_public_key;  // Ed25519: verifies login proofs (crypto/login_proof.h)
  IdentityKeys identity;
  std::int64_t created_ms = 0;
};

struct UserRecord {
  UserId id = 0;
  std::string username;
  std::string auth_verifier;     // empty once the account has a login key
  std::string login_public_key;  // empty for accounts from before login keys
  IdentityKeys identity;
  std::uint64_t acked_seq = 0;  // highest inbox seq the user acknowledged
  std::uint64_t last_seq = 0;   // highest inbox seq assigned to the user
};

struct SessionRecord {
  std::string token_hash;
  UserId user_id = 0;
  std::int64_t created_ms = 0;
  std::int64_t expires_ms = 0;  // idle deadline: last_used_ms + the server's idle timeout
  // Sessions a user controls (DESIGN §5): the id its owner names it by (random, unique
  // per user in practice), the device it is bound to, and when it was last used (login or resume).
  std::uint32_t session_id = 0;
  std::uint32_t device_id = 0;
  std::string device_public_key;
  std::string device_name;
  std::int64_t last_used_ms = 0;
};

// A session with its user, as a resume needs both.
struct SessionLookup {
  UserRecord user;
  SessionRecord session;
};

// A session token to store (kCreate) or to forget (kRevoke: only token_hash counts).
struct SessionWrite {
  enum class Kind { kCreate, kRevoke };
  Kind kind = Kind::kCreate;
  SessionRecord session;
};

struct GroupMemberRecord {
  UserId user_id = 0;
  std::string username;
  bool admin = false;
};

struct GroupRecord {
  GroupId id = 0;
  std::string name;
  std::vector<GroupMemberRecord> members;  // in order of joining
};

// A key wrap of a group message for one member.
struct KeyWrapRecord {
  UserId recipient = 0;
  std::string sealed_key;
};

// One message to commit. Exactly one of to_user / group_id is set (non-zero).
struct OutgoingMessage {
  UserId sender = 0;
  MessageId message_id;
  UserId to_user = 0;
  GroupId group_id = 0;
  std::string body;                      // ciphertext, stored once
  std::vector<KeyWrapRecord> key_wraps;  // group, v1 only
  // Group, Sender Keys: the chain length the sender sealed for (no key wraps); the
  // commit fails with kMembershipChanged unless the group's chain has exactly this length.
  std::uint64_t membership_seq = 0;
  std::int64_t server_time_ms = 0;
  // Direct only: the recipient blocks the sender. Committed as any message (a retry is a
  // duplicate) but as a tombstone without body, delivered to no one.
  bool withheld = false;
};

// A new inbox entry created by a commit.
struct Delivery {
  UserId recipient = 0;
  std::uint64_t seq = 0;
  int key_wrap_index = -1;  // index into OutgoingMessage::key_wraps, -1 for direct
};

struct CommitOutcome {
  // ok; kUnknownUser (recipient gone); kUnknownGroup; kForbidden (sender is not a
  // member); kMembershipChanged (a current member other than the sender has no key
  // wrap, or the group's membership chain is not membership_seq long). A failed message changes
  // nothing and does not fail the others.
  Status status;
  bool duplicate = false;            // (sender, message_id) was already committed
  std::int64_t server_time_ms = 0;   // of the stored message (the original, if duplicate)
  std::vector<Delivery> deliveries;  // empty when duplicate or failed
};

// What Store::commit_batch did: each message's outcome (in order) and the acks' status.
struct BatchResult {
  Result<std::vector<CommitOutcome>> outcomes;
  Status acks;
};

struct InboxItem {
  std::uint64_t seq = 0;
  MessageId message_id;
  std::string sender;  // username
  GroupId group_id = 0;
  std::string body;
  std::string sealed_key;
  std::int64_t server_time_ms = 0;
};

struct AckRecord {
  UserId user_id = 0;
  std::uint64_t up_to_seq = 0;
};

// --- E2EE v2 prekeys (docs/e2ee-v2.md, "Prekeys on the server"), per (user, device).
struct StoredSignedPrekey {
  std::uint32_t id = 0;
  std::string public_key;
  std::string signature;
};

struct StoredOneTimePrekey {
  std::uint32_t id = 0;
  std::string public_key;
};

// A device's upload, validated by the caller (sizes, signature, counts).
struct PrekeyUpload {
  UserId user = 0;
  std::uint32_t device_id = 0;
  StoredSignedPrekey signed_prekey;
  std::vector<StoredOneTimePrekey> one_time;
  bool replace_one_time = false;  // delete the device's stored one-time prekeys first
  std::int64_t now_ms = 0;
};

struct PrekeyLimits {
  std::size_t max_one_time_per_device = 200;
  std::size_t max_devices_per_user = 16;
};

// One device's bundle as handed out (identity keys are the account's, from users).
struct StoredPrekeyBundle {
  std::uint32_t device_id = 0;
  StoredSignedPrekey signed_prekey;
  std::optional<StoredOneTimePrekey> one_time;  // taken: no longer stored
};

// --- signed group membership (docs/e2ee-v2.md, "Group membership"): each group's chain
// of records, stored as the bytes its members signed (crypto/membership.h). The store
// keeps order and atomicity; checking a record is the caller's job.
struct MembershipEntry {
  std::uint64_t seq = 0;  // 0: no record
  std::string record;
};

// Record `seq` of `group`'s chain and the member change it makes.
struct MembershipAppend {
  enum class Change { kNone, kAdd, kRemove };
  GroupId group = 0;
  std::uint64_t seq = 0;
  std::string record;
  Change change = Change::kNone;
  UserId subject = 0;  // kAdd, kRemove
};

class Store {
 public:
  virtual ~Store() = default;

  // --- accounts: kUsernameTaken, kUnknownUser
  virtual Result<UserId> create_user(const NewUser& user) = 0;
  virtual Result<UserRecord> find_user(std::string_view username) = 0;
  virtual Result<UserRecord> find_user_by_id(UserId id) = 0;
  // Sets the account's login key and forgets any auth_verifier (the caller checked the
  // proofs): a legacy account's upgrade, or a password change. kUnknownUser.
  virtual Status set_login_key(UserId user, std::string_view login_public_key) = 0;
  // Deletes every session of `user` but the one whose token hash is `keep` (none when
  // empty); how many were deleted.
  virtual Result<std::size_t> revoke_sessions_except(UserId user, std::string_view keep) = 0;
  // Users whose name contains `pattern` (all when empty) and sorts after `after` (a
  // page cursor; empty: from the start), by name, at most `limit`.
  virtual Result<std::vector<UserRecord>> list_users(std::string_view pattern, std::size_t limit,
                                                     std::string_view after = {}) = 0;

  // --- the server key
  // Records `verifier` (ServerAuth::key_verifier) as the one of this database's server
  // key unless one is recorded already, and returns the recorded one: a server whose
  // key is not the database's must not start (its logins and tokens would all fail).
  virtual Result<std::string> claim_server_key(std::string_view verifier) = 0;

  // --- sessions
  // Applies the writes in order in one transaction (one fsync for a whole batch of logins
  // and logouts) and gives one Status per write: kUnknownUser for a session of an unknown
  // user, kInternal for a token that exists already. Creating a session also purges the
  // sessions that expired before it began. A failure of the database fails the batch.
  virtual Result<std::vector<Status>> write_sessions(std::span<const SessionWrite> writes) = 0;
  // The user whose session `token_hash` is, read with the session (one query: a token
  // resume costs one lookup); kAuthFailed for an unknown or expired token.
  virtual Result<UserRecord> find_session(std::string_view token_hash, std::int64_t now_ms) = 0;
  // One-write batches.
  Status create_session(const SessionRecord& session);
  Status delete_session(std::string_view token_hash);

  // --- groups: kUnknownGroup, kUnknownUser. Authorization is the caller's job.
  // `members` excludes the creator, who becomes the first member and admin.
  virtual Result<GroupRecord> create_group(std::string_view name, UserId creator,
                                           std::span<const UserId> members) = 0;
  virtual Result<GroupRecord> get_group(GroupId id) = 0;
  // The groups `member` is in whose id is above `after_group_id`, by id, at most `limit`.
  virtual Result<std::vector<GroupRecord>> list_groups(UserId member, GroupId after_group_id,
                                                       std::size_t limit) = 0;
  // How many groups each of `users` is in, in the order of `users` (0 for unknown users).
  virtual Result<std::vector<std::size_t>> count_groups(std::span<const UserId> users) = 0;
  // Adding a member twice is a no-op.
  virtual Status add_member(GroupId group, UserId user) = 0;
  // Removing a non-member is a no-op. When the last admin goes, the longest-standing
  // remaining member becomes admin.
  virtual Status remove_member(GroupId group, UserId user) = 0;

  // --- signed membership
  // Appends the record and applies its change (as add_member / remove_member do) in one
  // transaction. kMembershipChanged (nothing stored) unless the chain's last record is
  // seq-1 (0: none), so of two concurrent changes one wins; kUnknownGroup; kUnknownUser.
  virtual Status append_membership(const MembershipAppend& append) = 0;
  // The group's records after `after_seq`, by seq, at most `limit`.
  virtual Result<std::vector<MembershipEntry>> read_membership(GroupId group,
                                                               std::uint64_t after_seq,
                                                               std::size_t limit) = 0;
  // The chain's last record; seq 0 when the group has none (or does not exist).
  virtual Result<MembershipEntry> last_membership(GroupId group) = 0;

  // --- blocks: `user` blocks `blocked` (kUnknownUser); a no-op when already so.
  virtual Status set_blocked(UserId user, UserId blocked, bool block, std::int64_t now_ms) = 0;
  // The usernames `user` blocks, by name, at most `limit`.
  virtual Result<std::vector<std::string>> list_blocked(UserId user, std::size_t limit) = 0;
  // For each of `users` (in the order given), whether it blocks `other`.
  virtual Result<std::vector<bool>> which_block(std::span<const UserId> users, UserId other) = 0;

  // --- messages
  // Commits the whole batch in one transaction, durably (fsync'd) before returning:
  // the group commit. Outcomes are in the order of `messages`. A Result error means
  // nothing in the batch was committed.
  virtual Result<std::vector<CommitOutcome>> commit_messages(
      std::span<const OutgoingMessage> messages) = 0;
  // The recipient's inbox after `after_seq`, oldest first, at most `limit` items.
  virtual Result<std::vector<InboxItem>> read_inbox(UserId user, std::uint64_t after_seq,
                                                    std::size_t limit) = 0;
  // Records acks (one transaction for the batch): acked_seq only grows, and inbox
  // items up to it may be deleted.
  virtual Status ack_inbox(std::span<const AckRecord> acks) = 0;
  // Both of the above: in one transaction (one fsync) where the backend can, and then a
  // failure fails both parts; by default the messages, then the acks.
  virtual BatchResult commit_batch(std::span<const OutgoingMessage> messages,
                                   std::span<const AckRecord> acks);

  // --- housekeeping
  // Deletes at most `limit` tombstones (the (sender, message_id) of a message every
  // recipient acknowledged, kept so that a late retry is still a duplicate) of messages
  // committed before `before_ms`; returns how many went. Call again while it returns
  // `limit`. (Expired sessions need no sweep: create_session purges them.)
  virtual Result<std::size_t> purge_tombstones(std::int64_t before_ms, std::size_t limit) = 0;

  // --- sessions a user controls (DESIGN §5)
  // The session `token_hash` with its user (one query); kAuthFailed for an unknown
  // token or one whose expires_ms is not after `now_ms`.
  virtual Result<SessionLookup> lookup_session(std::string_view token_hash,
                                               std::int64_t now_ms) = 0;
  // Records a use of the session: last_used_ms and the new idle deadline. Ok when the
  // session is gone meanwhile (the next lookup says so).
  virtual Status touch_session(std::string_view token_hash, std::int64_t last_used_ms,
                               std::int64_t expires_ms) = 0;
  // `user`'s sessions not expired at `now_ms`, most recently used first, at most `limit`.
  virtual Result<std::vector<SessionRecord>> list_sessions(UserId user, std::int64_t now_ms,
                                                           std::size_t limit) = 0;
  // Deletes `user`'s session `session_id`; how many were deleted (0 or 1).
  virtual Result<std::size_t> revoke_session(UserId user, std::uint32_t session_id) = 0;
  // --- E2EE v2 prekeys, keyed by (user, device id)
  // Replaces the device's signed prekey and adds its one-time prekeys (an id the device
  // holds already keeps its stored key), in one transaction. kLimitReached (nothing
  // stored) when the device would hold more than limits.max_one_time_per_device, or a
  // new device would make the user's more than limits.max_devices_per_user;
  // kUnknownUser. Returns how many one-time prekeys the device holds now.
  virtual Result<std::size_t> publish_prekeys(const PrekeyUpload& upload,
                                              const PrekeyLimits& limits) = 0;
  // How many one-time prekeys the device holds (0 for a device that never published).
  virtual Result<std::size_t> count_one_time_prekeys(UserId user, std::uint32_t device_id) = 0;
  // For each device of `user` with a signed prekey, by device id: the signed prekey and
  // one one-time prekey (the lowest id), deleted in the same transaction, so no two calls,
  // from any server, ever get the same one. Empty when the user published nothing.
  virtual Result<std::vector<StoredPrekeyBundle>> take_prekey_bundles(UserId user) = 0;
};

}  // namespace fastchat::store
