// CommitPlan: the rules of committing a batch of messages, written once for every
// backend. A backend asks the plan what to read (start), reads it in as few round trips
// as suit it and hands it over (facts), and after decide() writes exactly the rows the
// plan lists: the new messages, their inbox rows with gapless seqs, the users' new
// last_seq. The plan touches no database; what it decides follows from the batch and
// the facts alone (recipients, membership, key-wrap matching, Sender Keys chain length,
// self-sends, duplicates within the batch and before it).
//
// Not thread-safe; one batch at a time. Keeps its working memory between batches, so a
// warm plan allocates only the outcomes it fills.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "common/message_id.h"
#include "common/status.h"
#include "store/store.h"

namespace fastchat::store {

// What a backend reads for a batch, besides the stored message of every (sender,
// message_id) of the batch, malformed messages included (a retry of a committed message
// is a duplicate even when it could not be sent now).
struct CommitReads {
  std::vector<std::int64_t> groups;  // sorted, distinct: the groups the batch sends to
  std::vector<UserId> users;         // sorted, distinct: senders and direct recipients
};

// A message of the batch that is already stored.
struct StoredMessage {
  UserId sender = 0;
  MessageId message_id;
  std::int64_t server_time_ms = 0;
};

// What the database holds for CommitReads, in any order.
struct CommitFacts {
  std::vector<std::int64_t> groups;                            // those that exist
  std::vector<std::pair<std::int64_t, UserId>> members;        // (group, user) of those
  std::vector<std::pair<std::int64_t, std::uint64_t>> chains;  // (group, records); none: 0
  std::vector<std::pair<UserId, std::int64_t>> users;          // (user, last_seq): every
                                                               // existing one of
                                                               // CommitReads::users and
                                                               // every member
  std::vector<StoredMessage> stored;
};

// A message to insert: messages[index], holding `refs` inbox rows. With no inbox row
// (sent to a group of one, withheld) it is a tombstone at once: stored without its body.
struct NewMessageRow {
  std::uint32_t index = 0;
  std::int32_t refs = 0;
  bool operator==(const NewMessageRow&) const = default;
};

// An inbox row to insert. The rows of one message are consecutive, in the order of
// new_messages(); key_wrap_index indexes its key_wraps, -1 stores no wrap.
struct InboxRow {
  UserId user = 0;
  std::int64_t seq = 0;
  std::uint32_t message = 0;  // index into the batch
  int key_wrap_index = -1;
  bool operator==(const InboxRow&) const = default;
};

class CommitPlan {
 public:
  // Starts a batch (forgetting the last one) and says what to read for it. `messages`
  // must outlive the plan's use of it.
  const CommitReads& start(std::span<const OutgoingMessage> messages);
  // Filled by the backend between start() and decide().
  CommitFacts& facts() { return facts_; }

  // Every message's outcome, in order, and the rows to write. An error means the facts
  // contradict each other (a group member without an account): the batch must fail.
  Status decide(std::vector<CommitOutcome>& outcomes);

  std::span<const NewMessageRow> new_messages() const { return new_messages_; }
  std::span<const InboxRow> inbox_rows() const { return rows_; }
  // (user, last_seq) of each user whose last_seq moved, sorted by user.
  std::span<const std::pair<UserId, std::int64_t>> last_seqs() const { return last_seqs_; }

 private:
  struct Recipient {
    std::uint32_t user;  // index into facts_.users
    int key_wrap_index;
  };

  void sort_facts();
  void link_repeats();
  // Fills recipients_ for `message`, or sets `verdict` to why it cannot be sent.
  Status collect_recipients(const OutgoingMessage& message, Status& verdict);
  Status collect_group_recipients(const OutgoingMessage& message, Status& verdict);
  // Index into facts_.users, or -1 when the user does not exist.
  std::int64_t find_user(UserId id) const;
  const StoredMessage* find_stored(const OutgoingMessage& message) const;

  std::span<const OutgoingMessage> messages_;
  CommitReads reads_;
  CommitFacts facts_;
  // Per message: the previous message of the batch with the same key (-1 when none),
  // and whether it is inserted.
  std::vector<std::int32_t> previous_same_;
  std::vector<bool> inserted_;
  std::vector<std::uint32_t> order_;
  std::vector<bool> dirty_;                    // per facts_.users
  std::vector<std::pair<UserId, int>> wraps_;  // (recipient, index) of one message, sorted
  std::vector<Recipient> recipients_;          // of one message
  std::vector<NewMessageRow> new_messages_;
  std::vector<InboxRow> rows_;
  std::vector<std::pair<UserId, std::int64_t>> last_seqs_;
};

}  // namespace fastchat::store
