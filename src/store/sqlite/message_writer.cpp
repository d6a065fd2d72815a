#include "store/sqlite/message_writer.h"

#include <algorithm>
#include <limits>
#include <string>

#include "store/sqlite/transaction.h"

namespace fastchat::store::sqlite {
namespace {

constexpr char kSelectUserSeq[] = "SELECT last_seq FROM user_seqs WHERE user_id = ?1";
constexpr char kSelectGroup[] = "SELECT 1 FROM chat_groups WHERE id = ?1";
constexpr char kSelectMembers[] =
    "SELECT user_id FROM group_members WHERE group_id = ?1 ORDER BY user_id";
constexpr char kSelectChainLength[] =
    "SELECT coalesce(max(seq), 0) FROM group_membership WHERE group_id = ?1";
constexpr char kInsertMessage[] =
    "INSERT INTO messages (sender, message_id, group_id, body, server_time_ms, refs) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (message_id, sender) DO NOTHING";
constexpr char kInsertInbox[] =
    "INSERT INTO inbox (user_id, seq, message_row, sealed_key) VALUES (?1, ?2, ?3, ?4)";
constexpr char kSelectStored[] =
    "SELECT server_time_ms FROM messages WHERE message_id = ?2 AND sender = ?1";
constexpr char kUpdateLastSeq[] = "UPDATE user_seqs SET last_seq = ?2 WHERE user_id = ?1";

// acked_seq grows to min(up_to, last_seq), never shrinks; RETURNING gives the new value
// and no row when nothing changed (or the user is unknown).
constexpr char kAdvanceAck[] =
    "UPDATE user_seqs SET acked_seq = min(?2, last_seq) "
    "WHERE user_id = ?1 AND acked_seq < min(?2, last_seq) RETURNING acked_seq";
// A message whose last reference goes becomes a tombstone: its body is dropped, its
// (sender, message_id) stays to recognize a late retry until purge() removes it.
constexpr char kReleaseMessages[] =
    "UPDATE messages SET refs = refs - 1, body = iif(refs = 1, x'', body) WHERE id IN "
    "(SELECT message_row FROM inbox WHERE user_id = ?1 AND seq <= ?2)";
constexpr char kDeleteInbox[] = "DELETE FROM inbox WHERE user_id = ?1 AND seq <= ?2";

constexpr std::int64_t kMaxInt64 = std::numeric_limits<std::int64_t>::max();

bool fits_int64(std::uint64_t value) {
  return value <= static_cast<std::uint64_t>(kMaxInt64);
}

}  // namespace

BatchResult MessageWriter::commit_batch(std::span<const OutgoingMessage> messages,
                                        std::span<const AckRecord> acks) {
  std::vector<CommitOutcome> outcomes(messages.size());
  if (messages.empty() && acks.empty()) return {std::move(outcomes), Status()};
  // A database error rolls the whole transaction back: both parts failed.
  auto failed = [](const Status& s) { return BatchResult{s, s}; };
  auto txn = Transaction::begin(db_);
  if (!txn) return failed(txn.status());
  if (Status s = write_messages(messages, outcomes); !s) return failed(s);
  if (Status s = write_acks(acks); !s) return failed(s);
  if (Status s = txn->commit(); !s) return failed(s);
  return {std::move(outcomes), Status()};
}

Status MessageWriter::write_messages(std::span<const OutgoingMessage> messages,
                                     std::vector<CommitOutcome>& outcomes) {
  if (messages.empty()) return {};
  const CommitReads& reads = plan_.start(messages);
  if (Status s = read_facts(messages, reads); !s) return s;
  if (Status s = plan_.decide(outcomes); !s) return s;
  return write_plan(messages);
}

Status MessageWriter::read_facts(std::span<const OutgoingMessage> messages,
                                 const CommitReads& reads) {
  CommitFacts& facts = plan_.facts();
  users_to_read_.assign(reads.users.begin(), reads.users.end());
  for (const std::int64_t group : reads.groups) {
    {
      auto select = db_.prepare(kSelectGroup);
      if (!select) return select.status();
      select->bind_int64(1, group);
      const Step step = select->step();
      if (step == Step::kError) return select->error();
      if (step == Step::kDone) continue;
    }
    facts.groups.push_back(group);
    auto members = db_.prepare(kSelectMembers);
    if (!members) return members.status();
    members->bind_int64(1, group);
    Step step;
    while ((step = members->step()) == Step::kRow) {
      facts.members.emplace_back(group, members->column_int64(0));
      users_to_read_.push_back(members->column_int64(0));
    }
    if (step == Step::kError) return members->error();
    auto chain = db_.prepare(kSelectChainLength);
    if (!chain) return chain.status();
    chain->bind_int64(1, group);
    if (chain->step() != Step::kRow) return chain->error();
    facts.chains.emplace_back(group, static_cast<std::uint64_t>(chain->column_int64(0)));
  }
  std::sort(users_to_read_.begin(), users_to_read_.end());
  users_to_read_.erase(std::unique(users_to_read_.begin(), users_to_read_.end()),
                       users_to_read_.end());
  {
    auto select = db_.prepare(kSelectUserSeq);
    if (!select) return select.status();
    for (const UserId user : users_to_read_) {
      select->reset();
      select->bind_int64(1, user);
      const Step step = select->step();
      if (step == Step::kError) return select->error();
      if (step == Step::kRow) facts.users.emplace_back(user, select->column_int64(0));
    }
  }
  auto select = db_.prepare(kSelectStored);
  if (!select) return select.status();
  for (const OutgoingMessage& message : messages) {
    select->reset();
    select->bind_int64(1, message.sender);
    select->bind_blob(2, message.message_id.bytes());
    const Step step = select->step();
    if (step == Step::kError) return select->error();
    if (step == Step::kRow) {
      facts.stored.push_back({message.sender, message.message_id, select->column_int64(0)});
    }
  }
  return {};
}

Status MessageWriter::write_plan(std::span<const OutgoingMessage> messages) {
  {
    auto insert_message = db_.prepare(kInsertMessage);
    if (!insert_message) return insert_message.status();
    auto insert_inbox = db_.prepare(kInsertInbox);
    if (!insert_inbox) return insert_inbox.status();
    const std::span<const InboxRow> rows = plan_.inbox_rows();
    std::size_t next_row = 0;
    for (const NewMessageRow& planned : plan_.new_messages()) {
      const OutgoingMessage& message = messages[planned.index];
      insert_message->reset();
      insert_message->bind_int64(1, message.sender);
      insert_message->bind_blob(2, message.message_id.bytes());
      if (message.group_id != 0) {
        insert_message->bind_int64(3, static_cast<std::int64_t>(message.group_id));
      } else {
        insert_message->bind_null(3);
      }
      insert_message->bind_blob(
          4, planned.refs > 0 ? std::string_view(message.body) : std::string_view());
      insert_message->bind_int64(5, message.server_time_ms);
      insert_message->bind_int64(6, planned.refs);
      if (insert_message->step() == Step::kError) return insert_message->error();
      // The plan saw every stored key of the batch under this transaction.
      if (db_.changes() != 1) return {Code::kInternal, "a planned message is already stored"};
      const std::int64_t message_row = db_.last_insert_rowid();
      for (; next_row < rows.size() && rows[next_row].message == planned.index; ++next_row) {
        const InboxRow& row = rows[next_row];
        insert_inbox->reset();
        insert_inbox->bind_int64(1, row.user);
        insert_inbox->bind_int64(2, row.seq);
        insert_inbox->bind_int64(3, message_row);
        if (row.key_wrap_index < 0) {
          insert_inbox->bind_null(4);
        } else {
          insert_inbox->bind_blob(
              4, message.key_wraps[static_cast<std::size_t>(row.key_wrap_index)].sealed_key);
        }
        if (insert_inbox->step() == Step::kError) return insert_inbox->error();
      }
    }
  }
  // One UPDATE per distinct recipient, not per message.
  auto update = db_.prepare(kUpdateLastSeq);
  if (!update) return update.status();
  for (const auto& [user, last_seq] : plan_.last_seqs()) {
    update->reset();
    update->bind_int64(1, user);
    update->bind_int64(2, last_seq);
    if (Status s = update->run(); !s) return s;
  }
  return {};
}

Status MessageWriter::write_acks(std::span<const AckRecord> acks) {
  if (acks.empty()) return {};
  // One pass per user however many acks of theirs the batch holds: the highest counts.
  ack_index_.clear();
  acks_.clear();
  for (const AckRecord& ack : acks) {
    const std::int64_t up_to =
        fits_int64(ack.up_to_seq) ? static_cast<std::int64_t>(ack.up_to_seq) : kMaxInt64;
    if (std::uint32_t slot = ack_index_.find(ack.user_id); slot != IdIndexMap::kNone) {
      acks_[slot].second = std::max(acks_[slot].second, up_to);
    } else {
      ack_index_.insert(ack.user_id, static_cast<std::uint32_t>(acks_.size()));
      acks_.emplace_back(ack.user_id, up_to);
    }
  }
  for (const auto& [user, up_to] : acks_) {
    std::int64_t acked = 0;
    {
      auto advance = db_.prepare(kAdvanceAck);
      if (!advance) return advance.status();
      advance->bind_int64(1, user);
      advance->bind_int64(2, up_to);
      const Step step = advance->step();
      if (step == Step::kError) return advance->error();
      if (step == Step::kDone) continue;  // unknown user, or nothing new
      acked = advance->column_int64(0);
      if (advance->step() == Step::kError) return advance->error();
    }
    for (const char* sql : {kReleaseMessages, kDeleteInbox}) {
      auto statement = db_.prepare(sql);
      if (!statement) return statement.status();
      statement->bind_int64(1, user);
      statement->bind_int64(2, acked);
      if (Status s = statement->run(); !s) return s;
    }
  }
  return {};
}

}  // namespace fastchat::store::sqlite
