// MessageWriter: the write path of messages on the SQLite writer connection. commit()
// is the group commit (validation, fan-out, gapless inbox sequence numbers, one
// transaction and one fsync per batch); ack() records acknowledgements and frees what
// no inbox needs any more.
// Not thread-safe: its owner serializes calls together with every other use of the
// writer connection. Keeps its working memory between batches, so a warm commit
// allocates only what it returns.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "common/status.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/id_index_map.h"
#include "store/store.h"

namespace fastchat::store::sqlite {

class MessageWriter {
 public:
  explicit MessageWriter(Connection& db) : db_(db) {}

  // Store::commit_batch: the messages, then the acks, in one transaction.
  BatchResult commit_batch(std::span<const OutgoingMessage> messages,
                           std::span<const AckRecord> acks);
  // Store::commit_messages.
  Result<std::vector<CommitOutcome>> commit(std::span<const OutgoingMessage> messages) {
    return commit_batch(messages, {}).outcomes;
  }
  // Store::ack_inbox. Acks for unknown users are ignored; an ack beyond the user's
  // last_seq counts as one up to last_seq (acked_seq never passes last_seq). A message
  // that no inbox holds any more loses its body in the same transaction and stays as a
  // tombstone, so a retry arriving after every recipient acked is still a duplicate
  // (until Store::purge removes tombstones older than the de-duplication window).
  Status ack(std::span<const AckRecord> acks) { return commit_batch({}, acks).acks; }

 private:
  // A user seen in this batch; last_seq runs ahead of the database until the batch ends.
  struct UserSlot {
    UserId id;
    std::int64_t last_seq;
    bool exists;
    bool dirty;
  };
  // A group seen in this batch: its members are members_[begin, end), sorted by id.
  struct GroupSlot {
    bool exists;
    std::uint32_t begin;
    std::uint32_t end;
    std::uint64_t chain_length;  // records in the group's membership chain
  };
  struct Recipient {
    std::uint32_t user_slot;
    int key_wrap_index;  // -1 for a direct message
  };

  void start_batch();
  // The slot of a user or group, loaded on first sight. Errors are database errors.
  Result<std::uint32_t> user_slot(UserId id);
  Result<std::uint32_t> group_slot(GroupId id);
  // Fills recipients_ for `message`, or sets `verdict` to why it cannot be sent.
  Status collect_recipients(const OutgoingMessage& message, Status& verdict);
  Status collect_group_recipients(const OutgoingMessage& message, Status& verdict);
  // Validates and writes one message of the batch, filling its outcome. Errors are
  // database errors, which fail the batch.
  Status commit_one(const OutgoingMessage& message, CommitOutcome& outcome,
                    Statement& insert_message, Statement& insert_inbox);
  // server_time_ms of the stored message with the same (sender, message_id), if any.
  Result<std::optional<std::int64_t>> find_original(const OutgoingMessage& message);
  Status store_last_seqs();
  // The two halves of commit_batch, inside its transaction.
  Status write_messages(std::span<const OutgoingMessage> messages,
                        std::vector<CommitOutcome>& outcomes);
  Status write_acks(std::span<const AckRecord> acks);

  Connection& db_;
  IdIndexMap user_index_;
  std::vector<UserSlot> users_;
  IdIndexMap group_index_;
  std::vector<GroupSlot> groups_;
  std::vector<UserId> members_;
  std::vector<std::pair<UserId, int>> wraps_;          // (recipient, index) of one message, sorted
  std::vector<Recipient> recipients_;                  // of one message
  std::vector<std::pair<UserId, std::int64_t>> acks_;  // highest ack per user of a batch
};

}  // namespace fastchat::store::sqlite
