#include "store/postgres/pg_message_writer.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string_view>
#include <utility>

#include "store/commit_plan.h"
#include "store/postgres/pg_statements.h"

namespace fastchat::store::postgres {
namespace {

constexpr std::int64_t kMaxInt64 = std::numeric_limits<std::int64_t>::max();

// One commit_messages() call: the plan's reads in one round trip, its writes in another.
class Batch {
 public:
  explicit Batch(std::span<const OutgoingMessage> messages) : messages_(messages) {}

  Result<std::vector<CommitOutcome>> run(PgConnection& db);

 private:
  void send_reads(PgConnection& db, const CommitReads& reads);
  Status parse_reads(const CommitReads& reads, const std::vector<PgResult>& results);
  void send_writes(PgConnection& db);

  std::span<const OutgoingMessage> messages_;
  CommitPlan plan_;
};

void Batch::send_reads(PgConnection& db, const CommitReads& reads) {
  // READ COMMITTED explicitly: each statement then sees what committed before it took
  // its locks, which is what the locking order relies on.
  db.send_sql("BEGIN ISOLATION LEVEL READ COMMITTED");
  PgParams groups;
  groups.int64_array(reads.groups);
  if (!reads.groups.empty()) {
    send(db, Sql::kLockGroups, groups);
    send(db, Sql::kGroupMembers, groups);
    send(db, Sql::kChainLengths, groups);
  }
  PgParams users;
  users.int64_array(reads.users).int64_array(reads.groups);
  send(db, Sql::kLockUsers, users);
  PgParams keys;
  keys.begin_array(PgType::kInt8);
  for (const OutgoingMessage& message : messages_)
    keys.element_int64(message.sender);
  keys.end_array().begin_array(PgType::kUuid);
  for (const OutgoingMessage& message : messages_)
    keys.element_bytes(message.message_id.bytes());
  keys.end_array();
  send(db, Sql::kFindOriginals, keys);
}

Status Batch::parse_reads(const CommitReads& reads, const std::vector<PgResult>& results) {
  CommitFacts& facts = plan_.facts();
  std::size_t next = 1;  // after BEGIN
  if (!reads.groups.empty()) {
    const PgResult& groups = results[next++];
    facts.groups.reserve(static_cast<std::size_t>(groups.rows()));
    for (int row = 0; row < groups.rows(); ++row)
      facts.groups.push_back(groups.int64(row, 0));
    const PgResult& members = results[next++];
    facts.members.reserve(static_cast<std::size_t>(members.rows()));
    for (int row = 0; row < members.rows(); ++row)
      facts.members.emplace_back(members.int64(row, 0), members.int64(row, 1));
    const PgResult& chains = results[next++];
    facts.chains.reserve(static_cast<std::size_t>(chains.rows()));
    for (int row = 0; row < chains.rows(); ++row)
      facts.chains.emplace_back(chains.int64(row, 0),
                                static_cast<std::uint64_t>(chains.int64(row, 1)));
  }
  const PgResult& users = results[next++];
  facts.users.reserve(static_cast<std::size_t>(users.rows()));
  for (int row = 0; row < users.rows(); ++row)
    facts.users.emplace_back(users.int64(row, 0), users.int64(row, 1));
  const PgResult& stored = results[next++];
  facts.stored.reserve(static_cast<std::size_t>(stored.rows()));
  for (int row = 0; row < stored.rows(); ++row) {
    auto id = MessageId::from_bytes(stored.bytes(row, 1));
    if (!id) return {Code::kInternal, "a stored message id is not 16 bytes"};
    facts.stored.push_back({stored.int64(row, 0), *id, stored.int64(row, 2)});
  }
  return {};
}

void Batch::send_writes(PgConnection& db) {
  const std::span<const NewMessageRow> new_messages = plan_.new_messages();
  if (!new_messages.empty()) {
    PgParams params;
    params.begin_array(PgType::kInt8);
    for (const NewMessageRow& planned : new_messages)
      params.element_int64(messages_[planned.index].sender);
    params.end_array().begin_array(PgType::kUuid);
    for (const NewMessageRow& planned : new_messages)
      params.element_bytes(messages_[planned.index].message_id.bytes());
    params.end_array().begin_array(PgType::kInt8);
    for (const NewMessageRow& planned : new_messages) {
      if (messages_[planned.index].group_id != 0) {
        params.element_int64(static_cast<std::int64_t>(messages_[planned.index].group_id));
      } else {
        params.element_null();
      }
    }
    params.end_array().begin_array(PgType::kBytea);
    for (const NewMessageRow& planned : new_messages)
      params.element_bytes(planned.refs > 0 ? std::string_view(messages_[planned.index].body)
                                            : std::string_view());
    params.end_array().begin_array(PgType::kInt8);
    for (const NewMessageRow& planned : new_messages)
      params.element_int64(messages_[planned.index].server_time_ms);
    params.end_array().begin_array(PgType::kInt4);
    for (const NewMessageRow& planned : new_messages)
      params.element_int32(planned.refs);
    params.end_array();
    send(db, Sql::kInsertMessages, params);
  }
  const std::span<const InboxRow> rows = plan_.inbox_rows();
  if (!rows.empty()) {
    PgParams params;
    params.begin_array(PgType::kInt8);
    for (const InboxRow& row : rows)
      params.element_int64(row.user);
    params.end_array().begin_array(PgType::kInt8);
    for (const InboxRow& row : rows)
      params.element_int64(row.seq);
    params.end_array().begin_array(PgType::kInt8);
    for (const InboxRow& row : rows)
      params.element_int64(messages_[row.message].sender);
    params.end_array().begin_array(PgType::kUuid);
    for (const InboxRow& row : rows)
      params.element_bytes(messages_[row.message].message_id.bytes());
    params.end_array().begin_array(PgType::kBytea);
    for (const InboxRow& row : rows) {
      if (row.key_wrap_index < 0) {
        params.element_null();
      } else {
        params.element_bytes(messages_[row.message]
                                 .key_wraps[static_cast<std::size_t>(row.key_wrap_index)]
                                 .sealed_key);
      }
    }
    params.end_array();
    send(db, Sql::kInsertInbox, params);

    // One row per distinct recipient, not per message.
    PgParams seqs;
    seqs.begin_array(PgType::kInt8);
    for (const auto& [user, last_seq] : plan_.last_seqs())
      seqs.element_int64(user);
    seqs.end_array().begin_array(PgType::kInt8);
    for (const auto& [user, last_seq] : plan_.last_seqs())
      seqs.element_int64(last_seq);
    seqs.end_array();
    send(db, Sql::kStoreLastSeqs, seqs);
  }
  db.send_sql("COMMIT");
}

Result<std::vector<CommitOutcome>> Batch::run(PgConnection& db) {
  std::vector<CommitOutcome> outcomes(messages_.size());
  if (messages_.empty()) return outcomes;
  const CommitReads& reads = plan_.start(messages_);
  send_reads(db, reads);
  std::vector<PgResult> results;
  Status status = db.sync(results);
  if (status) status = parse_reads(reads, results);
  if (status) status = plan_.decide(outcomes);
  if (status) {
    send_writes(db);
    status = db.sync(results);
  }
  if (!status) {
    db.rollback();  // nothing of the batch is committed
    return status;
  }
  return outcomes;
}

}  // namespace

Result<std::vector<CommitOutcome>> commit_messages(PgConnection& db,
                                                   std::span<const OutgoingMessage> messages) {
  Batch batch(messages);
  return batch.run(db);
}

Status ack_inbox(PgConnection& db, std::span<const AckRecord> acks) {
  if (acks.empty()) return {};
  // The highest ack per user counts; users in id order.
  std::vector<std::pair<UserId, std::int64_t>> highest;
  highest.reserve(acks.size());
  for (const AckRecord& ack : acks) {
    highest.emplace_back(ack.user_id, static_cast<std::int64_t>(std::min<std::uint64_t>(
                                          ack.up_to_seq, static_cast<std::uint64_t>(kMaxInt64))));
  }
  std::sort(highest.begin(), highest.end(), [](const auto& a, const auto& b) {
    return a.first < b.first || (a.first == b.first && a.second > b.second);
  });
  highest.erase(std::unique(highest.begin(), highest.end(),
                            [](const auto& a, const auto& b) { return a.first == b.first; }),
                highest.end());

  PgParams users;
  users.begin_array(PgType::kInt8);
  for (const auto& [user, up_to] : highest)
    users.element_int64(user);
  users.end_array();
  PgParams advance = users;
  advance.begin_array(PgType::kInt8);
  for (const auto& [user, up_to] : highest)
    advance.element_int64(up_to);
  advance.end_array();

  // One implicit transaction: all of it or nothing.
  send(db, Sql::kLockAckers, users);
  send(db, Sql::kAdvanceAcks, advance);
  send(db, Sql::kLockReleased, users);
  send(db, Sql::kReleaseInbox, users);
  return db.sync();
}

}  // namespace fastchat::store::postgres
