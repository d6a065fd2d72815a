// MessageWriter: the write path of messages on the SQLite writer connection. commit()
// is the group commit: it reads what the batch's CommitPlan asks for, lets the plan
// decide (validation, fan-out, gapless inbox sequence numbers) and writes what it
// decided, in one transaction and one fsync per batch; ack() records acknowledgements
// and frees what no inbox needs any more.
// Not thread-safe: its owner serializes calls together with every other use of the
// writer connection. Keeps its working memory between batches, so a warm commit
// allocates only what it returns.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "common/status.h"
#include "store/commit_plan.h"
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
  // The two halves of commit_batch, inside its transaction.
  Status write_messages(std::span<const OutgoingMessage> messages,
                        std::vector<CommitOutcome>& outcomes);
  Status write_acks(std::span<const AckRecord> acks);
  // Reads what plan_ asks for into plan_.facts().
  Status read_facts(std::span<const OutgoingMessage> messages, const CommitReads& reads);
  // Writes the rows plan_ decided.
  Status write_plan(std::span<const OutgoingMessage> messages);

  Connection& db_;
  CommitPlan plan_;
  std::vector<UserId> users_to_read_;                  // of one batch
  IdIndexMap ack_index_;                               // user -> index into acks_
  std::vector<std::pair<UserId, std::int64_t>> acks_;  // highest ack per user of a batch
};

}  // namespace fastchat::store::sqlite
