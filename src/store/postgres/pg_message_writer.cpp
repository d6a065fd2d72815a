#include "store/postgres/pg_message_writer.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "store/postgres/pg_statements.h"

namespace fastchat::store::postgres {
namespace {

constexpr std::int64_t kMaxInt64 = std::numeric_limits<std::int64_t>::max();

// GroupId is unsigned, PostgreSQL's bigint signed: ids past INT64_MAX never exist.
bool storable_group_id(GroupId id) {
  return id != 0 && id <= static_cast<GroupId>(kMaxInt64);
}

bool well_formed(const OutgoingMessage& message) {
  return (message.to_user != 0) != (message.group_id != 0);
}

struct MessageKey {
  UserId sender;
  MessageId id;
  auto operator<=>(const MessageKey&) const = default;
};

MessageKey key_of(const OutgoingMessage& message) {
  return {message.sender, message.message_id};
}

// One commit_messages() call: what the database says about the batch, then the outcome
// of each message and the rows to write. Working memory is per batch (a few vectors),
// never per message.
class Batch {
 public:
  explicit Batch(std::span<const OutgoingMessage> messages) : messages_(messages) {}

  Result<std::vector<CommitOutcome>> run(PgConnection& db);

 private:
  struct UserSlot {
    UserId id;
    std::int64_t last_seq;  // runs ahead of the database until the batch commits
    bool dirty;
  };
  struct Original {
    MessageKey key;
    std::int64_t server_time_ms;
    bool operator<(const Original& other) const { return key < other.key; }
  };
  struct Row {  // an inbox row to insert
    UserId user;
    std::int64_t seq;
    std::uint32_t message;
    int key_wrap_index;
  };
  struct Recipient {
    std::uint32_t user_slot;
    int key_wrap_index;
  };

  void collect_lookups();
  void send_reads(PgConnection& db);
  Status parse_reads(const std::vector<PgResult>& results);
  void link_repeats();
  Status decide(std::vector<CommitOutcome>& outcomes);
  Status collect_recipients(const OutgoingMessage& message, Status& verdict);
  Status collect_group_recipients(const OutgoingMessage& message, Status& verdict);
  void send_writes(PgConnection& db);

  UserSlot* find_user(UserId id);
  const Original* find_original(const MessageKey& key) const;

  std::span<const OutgoingMessage> messages_;
  // The lookups of the first round trip.
  std::vector<std::int64_t> group_ids_;  // sorted, distinct
  std::vector<std::int64_t> user_ids_;   // sorted, distinct: senders and direct recipients
  // What the database said.
  std::vector<std::int64_t> groups_;                                  // existing, sorted
  std::vector<std::pair<std::int64_t, UserId>> members_;              // (group, user), sorted
  std::vector<std::pair<std::int64_t, std::int64_t>> chain_lengths_;  // (group, records), sorted
  std::vector<UserSlot> users_;                                       // existing and locked, sorted
  std::vector<Original> originals_;                                   // sorted
  // Per message: the previous message of the batch with the same key (-1 when none),
  // and whether it was inserted.
  std::vector<std::int32_t> previous_same_;
  std::vector<bool> inserted_;
  // Scratch and the writes.
  std::vector<std::pair<UserId, int>> wraps_;  // (recipient, index) of one message, sorted
  std::vector<Recipient> recipients_;          // of one message
  std::vector<std::uint32_t> new_messages_;    // indexes into messages_
  std::vector<Row> rows_;
};

void Batch::collect_lookups() {
  for (const OutgoingMessage& message : messages_) {
    if (!well_formed(message)) continue;
    user_ids_.push_back(message.sender);
    if (message.to_user != 0) user_ids_.push_back(message.to_user);
    if (storable_group_id(message.group_id)) {
      group_ids_.push_back(static_cast<std::int64_t>(message.group_id));
    }
  }
  for (auto* ids : {&user_ids_, &group_ids_}) {
    std::sort(ids->begin(), ids->end());
    ids->erase(std::unique(ids->begin(), ids->end()), ids->end());
  }
}

void Batch::send_reads(PgConnection& db) {
  // READ COMMITTED explicitly: each statement then sees what committed before it took
  // its locks, which is what the locking order relies on.
  db.send_sql("BEGIN ISOLATION LEVEL READ COMMITTED");
  PgParams groups;
  groups.int64_array(group_ids_);
  if (!group_ids_.empty()) {
    send(db, Sql::kLockGroups, groups);
    send(db, Sql::kGroupMembers, groups);
    send(db, Sql::kChainLengths, groups);
  }
  PgParams users;
  users.int64_array(user_ids_).int64_array(group_ids_);
  send(db, Sql::kLockUsers, users);
  // A retry of a committed message is a duplicate even when it could not be sent now,
  // so every message's key is looked up, the malformed ones' too.
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

Status Batch::parse_reads(const std::vector<PgResult>& results) {
  std::size_t next = 1;  // after BEGIN
  if (!group_ids_.empty()) {
    const PgResult& groups = results[next++];
    groups_.reserve(static_cast<std::size_t>(groups.rows()));
    for (int row = 0; row < groups.rows(); ++row)
      groups_.push_back(groups.int64(row, 0));
    const PgResult& members = results[next++];
    members_.reserve(static_cast<std::size_t>(members.rows()));
    for (int row = 0; row < members.rows(); ++row)
      members_.emplace_back(members.int64(row, 0), members.int64(row, 1));
    const PgResult& chains = results[next++];
    chain_lengths_.reserve(static_cast<std::size_t>(chains.rows()));
    for (int row = 0; row < chains.rows(); ++row)
      chain_lengths_.emplace_back(chains.int64(row, 0), chains.int64(row, 1));
  }
  const PgResult& users = results[next++];
  users_.reserve(static_cast<std::size_t>(users.rows()));
  for (int row = 0; row < users.rows(); ++row)
    users_.push_back({users.int64(row, 0), users.int64(row, 1), false});
  const PgResult& originals = results[next++];
  originals_.reserve(static_cast<std::size_t>(originals.rows()));
  for (int row = 0; row < originals.rows(); ++row) {
    auto id = MessageId::from_bytes(originals.bytes(row, 1));
    if (!id) return {Code::kInternal, "a stored message id is not 16 bytes"};
    originals_.push_back({{originals.int64(row, 0), *id}, originals.int64(row, 2)});
  }
  std::sort(originals_.begin(), originals_.end());
  return {};
}

void Batch::link_repeats() {
  std::vector<std::uint32_t> order(messages_.size());
  for (std::uint32_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(), [this](std::uint32_t a, std::uint32_t b) {
    const MessageKey ka = key_of(messages_[a]), kb = key_of(messages_[b]);
    return ka < kb || (ka == kb && a < b);
  });
  previous_same_.assign(messages_.size(), -1);
  for (std::size_t i = 1; i < order.size(); ++i) {
    if (key_of(messages_[order[i]]) == key_of(messages_[order[i - 1]])) {
      previous_same_[order[i]] = static_cast<std::int32_t>(order[i - 1]);
    }
  }
  inserted_.assign(messages_.size(), false);
}

Batch::UserSlot* Batch::find_user(UserId id) {
  auto it = std::lower_bound(users_.begin(), users_.end(), id,
                             [](const UserSlot& slot, UserId value) { return slot.id < value; });
  return it != users_.end() && it->id == id ? &*it : nullptr;
}

const Batch::Original* Batch::find_original(const MessageKey& key) const {
  auto it = std::lower_bound(originals_.begin(), originals_.end(), Original{key, 0});
  return it != originals_.end() && it->key == key ? &*it : nullptr;
}

Status Batch::collect_recipients(const OutgoingMessage& message, Status& verdict) {
  recipients_.clear();
  if (!well_formed(message)) {
    verdict = Status(Code::kBadRequest, "a message needs exactly one of recipient and group");
    return {};
  }
  if (find_user(message.sender) == nullptr) {
    verdict = Status(Code::kUnknownUser, "unknown sender");
    return {};
  }
  if (message.group_id != 0) return collect_group_recipients(message, verdict);

  // A direct message to oneself is delivered like any other (notes to self, other devices).
  UserSlot* to = find_user(message.to_user);
  if (to == nullptr) {
    verdict = Status(Code::kUnknownUser, "unknown recipient");
    return {};
  }
  if (message.withheld) return {};  // no inbox: a tombstone at once
  recipients_.push_back({static_cast<std::uint32_t>(to - users_.data()), -1});
  return {};
}

Status Batch::collect_group_recipients(const OutgoingMessage& message, Status& verdict) {
  const auto group = static_cast<std::int64_t>(message.group_id);
  if (!storable_group_id(message.group_id) ||
      !std::binary_search(groups_.begin(), groups_.end(), group)) {
    verdict = Status(Code::kUnknownGroup, "unknown group");
    return {};
  }
  const auto by_group = [](const std::pair<std::int64_t, UserId>& member, std::int64_t id) {
    return member.first < id;
  };
  const auto first = std::lower_bound(members_.begin(), members_.end(), group, by_group);
  auto last = first;
  while (last != members_.end() && last->first == group)
    ++last;
  if (!std::binary_search(first, last, std::pair{group, message.sender})) {
    verdict = Status(Code::kForbidden, "sender is not a member of the group");
    return {};
  }
  if (message.membership_seq != 0) {
    // Sender Keys: one ciphertext for the members of the chain the sender verified.
    const auto chain = std::lower_bound(chain_lengths_.begin(), chain_lengths_.end(),
                                        std::pair<std::int64_t, std::int64_t>{group, 0});
    const std::uint64_t length = chain != chain_lengths_.end() && chain->first == group
                                     ? static_cast<std::uint64_t>(chain->second)
                                     : 0;
    if (message.membership_seq != length || !message.key_wraps.empty()) {
      verdict = Status(Code::kMembershipChanged, "the group's membership chain is " +
                                                     std::to_string(length) + " records long");
      return {};
    }
    for (auto member = first; member != last; ++member) {
      if (member->second == message.sender) continue;
      UserSlot* slot = find_user(member->second);
      if (slot == nullptr) return {Code::kInternal, "group member without an account"};
      recipients_.push_back({static_cast<std::uint32_t>(slot - users_.data()), -1});
    }
    return {};
  }
  // Sorted (recipient, index) pairs: the first wrap given for a member is the one used;
  // wraps for non-members are never looked at.
  wraps_.clear();
  for (std::size_t i = 0; i < message.key_wraps.size(); ++i) {
    wraps_.emplace_back(message.key_wraps[i].recipient, static_cast<int>(i));
  }
  std::sort(wraps_.begin(), wraps_.end());
  auto wrap = wraps_.begin();
  for (auto member = first; member != last; ++member) {
    const UserId user = member->second;
    if (user == message.sender) continue;  // the sender gets no copy
    while (wrap != wraps_.end() && wrap->first < user)
      ++wrap;
    if (wrap == wraps_.end() || wrap->first != user) {
      recipients_.clear();
      verdict = Status(Code::kMembershipChanged, "no key wrap for member " + std::to_string(user));
      return {};
    }
    UserSlot* slot = find_user(user);
    if (slot == nullptr) return {Code::kInternal, "group member without an account"};
    recipients_.push_back({static_cast<std::uint32_t>(slot - users_.data()), wrap->second});
  }
  return {};
}

Status Batch::decide(std::vector<CommitOutcome>& outcomes) {
  link_repeats();
  for (std::uint32_t i = 0; i < messages_.size(); ++i) {
    const OutgoingMessage& message = messages_[i];
    CommitOutcome& outcome = outcomes[i];
    Status verdict;
    if (Status s = collect_recipients(message, verdict); !s) return s;

    // Stored before this batch, or earlier in it?
    const Original* original = find_original(key_of(message));
    std::int32_t earlier = previous_same_[i];
    while (earlier >= 0 && !inserted_[static_cast<std::size_t>(earlier)])
      earlier = previous_same_[static_cast<std::size_t>(earlier)];

    if (original != nullptr) {
      outcome.duplicate = true;
      outcome.server_time_ms = original->server_time_ms;
      continue;
    }
    if (earlier >= 0) {
      outcome.duplicate = true;
      outcome.server_time_ms = messages_[static_cast<std::size_t>(earlier)].server_time_ms;
      continue;
    }
    if (!verdict) {
      outcome.status = std::move(verdict);  // a failed message leaves no trace
      continue;
    }

    inserted_[i] = true;
    new_messages_.push_back(i);
    outcome.server_time_ms = message.server_time_ms;
    outcome.deliveries.reserve(recipients_.size());
    for (const Recipient& recipient : recipients_) {
      UserSlot& user = users_[recipient.user_slot];
      const std::int64_t seq = ++user.last_seq;  // gapless: only committed messages count
      user.dirty = true;
      rows_.push_back({user.id, seq, i, recipient.key_wrap_index});
      outcome.deliveries.push_back(
          {user.id, static_cast<std::uint64_t>(seq), recipient.key_wrap_index});
    }
  }
  return {};
}

void Batch::send_writes(PgConnection& db) {
  if (!new_messages_.empty()) {
    PgParams params;
    params.begin_array(PgType::kInt8);
    for (std::uint32_t i : new_messages_)
      params.element_int64(messages_[i].sender);
    params.end_array().begin_array(PgType::kUuid);
    for (std::uint32_t i : new_messages_)
      params.element_bytes(messages_[i].message_id.bytes());
    params.end_array().begin_array(PgType::kInt8);
    for (std::uint32_t i : new_messages_) {
      if (messages_[i].group_id != 0) {
        params.element_int64(static_cast<std::int64_t>(messages_[i].group_id));
      } else {
        params.element_null();
      }
    }
    // refs: the message's inbox rows, which are consecutive in rows_. A message no inbox
    // will hold (sent to a group of one) is a tombstone at once: no body.
    std::vector<std::int32_t> refs(new_messages_.size(), 0);
    std::size_t row = 0;
    for (std::size_t n = 0; n < new_messages_.size(); ++n) {
      for (; row < rows_.size() && rows_[row].message == new_messages_[n]; ++row)
        ++refs[n];
    }
    params.end_array().begin_array(PgType::kBytea);
    for (std::size_t n = 0; n < new_messages_.size(); ++n)
      params.element_bytes(refs[n] > 0 ? std::string_view(messages_[new_messages_[n]].body)
                                       : std::string_view());
    params.end_array().begin_array(PgType::kInt8);
    for (std::uint32_t i : new_messages_)
      params.element_int64(messages_[i].server_time_ms);
    params.end_array().begin_array(PgType::kInt4);
    for (const std::int32_t n : refs)
      params.element_int32(n);
    params.end_array();
    send(db, Sql::kInsertMessages, params);
  }
  if (!rows_.empty()) {
    PgParams params;
    params.begin_array(PgType::kInt8);
    for (const Row& row : rows_)
      params.element_int64(row.user);
    params.end_array().begin_array(PgType::kInt8);
    for (const Row& row : rows_)
      params.element_int64(row.seq);
    params.end_array().begin_array(PgType::kInt8);
    for (const Row& row : rows_)
      params.element_int64(messages_[row.message].sender);
    params.end_array().begin_array(PgType::kUuid);
    for (const Row& row : rows_)
      params.element_bytes(messages_[row.message].message_id.bytes());
    params.end_array().begin_array(PgType::kBytea);
    for (const Row& row : rows_) {
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
    for (const UserSlot& user : users_) {
      if (user.dirty) seqs.element_int64(user.id);
    }
    seqs.end_array().begin_array(PgType::kInt8);
    for (const UserSlot& user : users_) {
      if (user.dirty) seqs.element_int64(user.last_seq);
    }
    seqs.end_array();
    send(db, Sql::kStoreLastSeqs, seqs);
  }
  db.send_sql("COMMIT");
}

Result<std::vector<CommitOutcome>> Batch::run(PgConnection& db) {
  std::vector<CommitOutcome> outcomes(messages_.size());
  if (messages_.empty()) return outcomes;
  collect_lookups();
  send_reads(db);
  std::vector<PgResult> results;
  Status status = db.sync(results);
  if (status) status = parse_reads(results);
  if (status) status = decide(outcomes);
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
