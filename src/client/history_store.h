// HistoryStore: one user's local state in SQLite (a file, or ":memory:" when the
// client persists nothing): the messages shown (each id once: exactly-once on
// screen) with the delivery receipts of those sent, the ids processed without being
// shown, the last inbox seq processed, pinned contact identities with their trust state
// (trust on first use, verified, a changed key pending) and file transfers in progress.
// What a person wrote or named (message texts, senders and peers, file names and paths,
// group members) is sealed under a key derived from the identity (crypto::HistoryBox):
// a store cannot be opened without the unlocked keys, and the file alone reads as
// metadata only (docs/decisions.md, "`history.db` sealed per column").
// Calls block on local disk I/O (small writes, WAL); acceptable on a client's loop.
//
// Thread safety: none; one HistoryStore belongs to one Client (one executor).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "client/client.h"
#include "common/message_id.h"
#include "common/status.h"
#include "crypto/history_box.h"
#include "crypto/identity.h"
#include "crypto/membership.h"

namespace fastchat::client {

class HistoryStore {
 public:
  // `path` is a file (created if missing) or ":memory:"; `box` seals and opens its
  // contents (the history of one identity). An older plaintext history is sealed on
  // the way (schema version 5).
  static Result<std::unique_ptr<HistoryStore>> open(const std::string& path,
                                                    crypto::HistoryBox box);
  ~HistoryStore();
  HistoryStore(const HistoryStore&) = delete;
  HistoryStore& operator=(const HistoryStore&) = delete;

  // --- messages
  bool seen(const MessageId& id);
  // Stores a message to show; false (and nothing changes) when its id was seen before.
  // Reading one back that does not open (tampered with, moved to another row) is a
  // kCrypto error: nothing is shown in place of what the user received.
  Result<bool> add_message(const ChatMessage& message);
  // Remembers an id that is processed but not shown by itself (a file chunk, an
  // undecryptable message); false when it was seen before.
  Result<bool> mark_seen(const MessageId& id);
  // Records that `recipient`'s client stored the message `id` this user sent (a
  // delivery receipt); true when new. False, and nothing recorded, when `id` is not an
  // outgoing message here or (direct) was sent to someone else.
  Result<bool> mark_delivered(const MessageId& id, std::string_view recipient);
  // The last `limit` messages (0: all) with `peer` (group == 0) or in `group`, oldest
  // first, in the order they were stored, leaving out the newest `skip_newest` (a page
  // further back: the desktop loads history lazily by pages).
  Result<std::vector<ChatMessage>> conversation(std::string_view peer, GroupId group,
                                                std::size_t limit, std::size_t skip_newest = 0);
  // The newest message of each conversation, newest conversation first, at most `limit`.
  Result<std::vector<ChatMessage>> latest_per_conversation(std::size_t limit);

  // --- inbox position: the highest seq up to which everything is processed. nullopt
  // until set for the first time (a fresh history).
  std::optional<std::uint64_t> last_seq();
  Status set_last_seq(std::uint64_t seq);

  // --- contact identities: pinned on first use, never replaced silently (docs/security.md)
  struct ContactRecord {
    crypto::PublicIdentity pinned;
    bool verified = false;  // the user compared safety numbers for the pinned key
    // A different key the server served later, which the user has not accepted.
    std::optional<crypto::PublicIdentity> pending;
  };
  enum class Pin { kNew, kSame, kChanged };
  // Records the identity the server serves now for `username`: pinned if there is
  // none (kNew); kSame when it is the pinned one (any pending key is forgotten: the
  // server is back to the key the user trusts); kChanged when it differs: the pin
  // stays and `identity` is recorded as pending until accept_pending().
  Result<Pin> pin_identity(std::string_view username, const crypto::PublicIdentity& identity,
                           std::int64_t now_ms);
  std::optional<crypto::PublicIdentity> pinned_identity(std::string_view username);
  std::optional<ContactRecord> contact(std::string_view username);
  // Marks the pinned key verified (or not). kNotFound when nothing is pinned.
  Status set_verified(std::string_view username, bool verified);
  // Pins the pending key (verified or not). kNotFound when nothing is pending.
  Status accept_pending(std::string_view username, bool verified, std::int64_t now_ms);

  // --- file transfers in progress, keyed by (sender, file_id)
  struct FileTransfer {
    std::string name;
    std::string mime_type;
    std::uint64_t total_size = 0;
    std::uint32_t chunk_count = 0;
    std::uint32_t received = 0;
  };
  std::optional<FileTransfer> file_transfer(std::string_view sender, std::string_view file_id);
  Status begin_file_transfer(std::string_view sender, std::string_view file_id,
                             const FileTransfer& transfer);
  // Records chunk `index`; returns the number of distinct chunks received so far,
  // or nullopt when this chunk was already recorded.
  Result<std::optional<std::uint32_t>> add_file_chunk(std::string_view sender,
                                                      std::string_view file_id,
                                                      std::uint32_t index);
  Status finish_file_transfer(std::string_view sender, std::string_view file_id);

  // --- E2EE v2 state, sealed by the caller (crypto/state_box.h): the ratchet sessions
  // with each peer device, per peer identity (Ed25519 key: a pending changed key's
  // sessions never replace the pinned one's), and this device's private prekeys.
  std::optional<std::string> peer_session(std::string_view username, std::uint32_t device,
                                          std::string_view identity);
  bool has_peer_session(std::string_view username);
  // The devices of `username` with saved sessions under `identity`, ascending.
  std::vector<std::uint32_t> peer_session_devices(std::string_view username,
                                                  std::string_view identity);
  Status save_peer_session(std::string_view username, std::uint32_t device,
                           std::string_view identity, std::string_view sealed_state);
  struct SealedPrekeys {
    std::string state;
    std::int64_t signed_at_ms = 0;  // when the current signed prekey was made
  };
  std::optional<SealedPrekeys> local_prekeys(std::uint32_t device);
  Status save_local_prekeys(std::uint32_t device, const SealedPrekeys& prekeys);

  // --- Sender Keys (history_store_sender_keys.cpp), states sealed by the caller.
  struct OwnSenderKey {
    std::string state;
    std::uint64_t created_seq = 0;  // the membership chain's length when it was made
  };
  std::optional<OwnSenderKey> own_sender_key(GroupId group, std::uint32_t device);
  Status save_own_sender_key(GroupId group, std::uint32_t device, const OwnSenderKey& key);
  // Members this device sent its key `key_id` of `group` to (each once, by name), and
  // whether `username` got it under `identity` (Ed25519 key: a changed key gets it again).
  Result<std::vector<std::string>> sender_key_recipients(GroupId group, std::uint32_t key_id);
  bool has_sender_key_recipient(GroupId group, std::uint32_t key_id, std::string_view username,
                                std::string_view identity);
  Status add_sender_key_recipient(GroupId group, std::uint32_t key_id, std::string_view username,
                                  std::string_view identity);
  // Whether a member was removed or left after the chain was `seq` records long.
  Result<bool> removal_after(GroupId group, std::uint64_t seq);
  struct SealedSenderKey {
    std::string state;
    std::uint64_t membership_seq = 0;  // the chain length the sender stated with it
  };
  std::optional<SealedSenderKey> received_sender_key(GroupId group, std::string_view sender,
                                                     std::uint32_t device);
  Status save_received_sender_key(GroupId group, std::string_view sender, std::uint32_t device,
                                  std::uint64_t membership_seq, std::string_view sealed_state);
  Status delete_received_sender_key(GroupId group, std::string_view sender, std::uint32_t device);
  // The devices of `sender` whose keys for `group` are saved, ascending.
  std::vector<std::uint32_t> received_sender_key_devices(GroupId group, std::string_view sender);
  // Group messages kept until their sender's key arrives, at most kMaxPendingGroupMessages
  // for kMaxPendingGroupMessageAge; keeping one more drops the oldest, whose ids are
  // returned (the caller marks them seen and reports them). A kept id is not `seen`.
  static constexpr std::size_t kMaxPendingGroupMessages = 1000;
  static constexpr std::int64_t kMaxPendingGroupMessageAgeMs = 30LL * 24 * 3600 * 1000;
  struct PendingGroupMessage {
    MessageId id;
    GroupId group = 0;
    std::string sender;
    std::string item;  // the serialized wire::InboxMessage
  };
  Result<std::vector<PendingGroupMessage>> keep_pending_group_message(
      const PendingGroupMessage& message, std::int64_t now_ms);
  Result<std::vector<PendingGroupMessage>> pending_group_messages(GroupId group,
                                                                  std::string_view sender);
  Status drop_pending_group_message(const MessageId& id);
  std::size_t pending_group_message_count();

  // Everything written between begin() and commit() lands at once or not at all (a
  // decrypted message with the session state that decrypted it). Rolled back when
  // dropped uncommitted. Nests (savepoints). Must not span a co_await: another
  // coroutine's writes would join it.
  class Transaction {
   public:
    static Result<Transaction> begin(HistoryStore& store);
    Transaction(Transaction&& other) noexcept;
    Transaction& operator=(Transaction&&) = delete;
    ~Transaction();
    Status commit();
    void rollback();

   private:
    explicit Transaction(HistoryStore* store) : store_(store) {}
    HistoryStore* store_;
  };

  // --- verified group membership: the head of each group's chain this client checked
  // (docs/e2ee-v2.md, "Group membership") and the changes that led to it.
  std::optional<crypto::MembershipChain> group_head(GroupId group);
  // Stores `chain` as the group's head and `events` (new ones), in one transaction.
  Status save_group_head(const crypto::MembershipChain& chain,
                         const std::vector<MembershipEvent>& events);
  Result<std::vector<MembershipEvent>> membership_events(GroupId group, std::size_t limit);

 private:
  class Stmt;
  HistoryStore(sqlite3* db, crypto::HistoryBox box) : db_(db), box_(std::move(box)) {}
  Status exec(const char* sql);
  // Brings an older history.db up to the current schema (user_version).
  Status migrate();
  // Version 5 (history_store_v5.cpp): seals the rows a plaintext history holds, inside
  // migrate()'s transaction; then, committed, scrub() rewrites the file (VACUUM) and
  // empties the WAL so no plaintext survives in free pages. A scrub cut short by a crash
  // is done again at the next open.
  Status seal_plaintext_rows();
  void scrub();
  Stmt prepare(const char* sql);
  Status error(const char* what) const;
  // The rows of a SELECT of the message columns, opened.
  Result<std::vector<ChatMessage>> read_messages(Stmt& stmt, const char* what);

  sqlite3* db_;
  crypto::HistoryBox box_;
  int depth_ = 0;  // open transactions (1) and savepoints in them
  std::unordered_map<const char*, sqlite3_stmt*> statements_;  // keyed by the SQL literal
};

}  // namespace fastchat::client
