#include "store/sqlite/message_writer.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <string>

#include "store/sqlite/lookups.h"
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
constexpr char kSelectOriginal[] =
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

void MessageWriter::start_batch() {
  user_index_.clear();
  users_.clear();
  group_index_.clear();
  groups_.clear();
  members_.clear();
}

Result<std::uint32_t> MessageWriter::user_slot(UserId id) {
  if (std::uint32_t slot = user_index_.find(id); slot != IdIndexMap::kNone) return slot;
  auto select = db_.prepare(kSelectUserSeq);
  if (!select) return select.status();
  select->bind_int64(1, id);
  UserSlot user{id, 0, false, false};
  switch (select->step()) {
    case Step::kRow:
      user.exists = true;
      user.last_seq = select->column_int64(0);
      break;
    case Step::kDone:
      break;
    case Step::kError:
      return select->error();
  }
  const auto slot = static_cast<std::uint32_t>(users_.size());
  users_.push_back(user);
  user_index_.insert(id, slot);
  return slot;
}

Result<std::uint32_t> MessageWriter::group_slot(GroupId id) {
  const auto key = static_cast<std::int64_t>(id);  // a bijection: usable as the map's key
  if (std::uint32_t slot = group_index_.find(key); slot != IdIndexMap::kNone) return slot;
  GroupSlot group{false, static_cast<std::uint32_t>(members_.size()),
                  static_cast<std::uint32_t>(members_.size()), 0};
  if (storable_group_id(id)) {
    auto select = db_.prepare(kSelectGroup);
    if (!select) return select.status();
    select->bind_int64(1, key);
    const Step step = select->step();
    if (step == Step::kError) return select->error();
    group.exists = step == Step::kRow;
  }
  if (group.exists) {
    auto members = db_.prepare(kSelectMembers);
    if (!members) return members.status();
    members->bind_int64(1, key);
    Step step;
    while ((step = members->step()) == Step::kRow)
      members_.push_back(members->column_int64(0));
    if (step == Step::kError) return members->error();
    group.end = static_cast<std::uint32_t>(members_.size());
    auto chain = db_.prepare(kSelectChainLength);
    if (!chain) return chain.status();
    chain->bind_int64(1, key);
    if (chain->step() != Step::kRow) return chain->error();
    group.chain_length = static_cast<std::uint64_t>(chain->column_int64(0));
  }
  const auto slot = static_cast<std::uint32_t>(groups_.size());
  groups_.push_back(group);
  group_index_.insert(key, slot);
  return slot;
}

Status MessageWriter::collect_recipients(const OutgoingMessage& message, Status& verdict) {
  recipients_.clear();
  if ((message.to_user != 0) == (message.group_id != 0)) {
    verdict = Status(Code::kBadRequest, "a message needs exactly one of recipient and group");
    return {};
  }
  auto sender = user_slot(message.sender);
  if (!sender) return sender.status();
  if (!users_[*sender].exists) {
    verdict = Status(Code::kUnknownUser, "unknown sender");
    return {};
  }
  if (message.group_id != 0) return collect_group_recipients(message, verdict);

  // A direct message to oneself is delivered like any other (notes to self, other devices).
  auto to = user_slot(message.to_user);
  if (!to) return to.status();
  if (!users_[*to].exists) {
    verdict = Status(Code::kUnknownUser, "unknown recipient");
    return {};
  }
  if (message.withheld) return {};  // no inbox: a tombstone at once
  recipients_.push_back({*to, -1});
  return {};
}

Status MessageWriter::collect_group_recipients(const OutgoingMessage& message, Status& verdict) {
  auto group_at = group_slot(message.group_id);
  if (!group_at) return group_at.status();
  const GroupSlot group = groups_[*group_at];
  if (!group.exists) {
    verdict = Status(Code::kUnknownGroup, "unknown group");
    return {};
  }
  const auto first = members_.begin() + group.begin;
  const auto last = members_.begin() + group.end;
  if (!std::binary_search(first, last, message.sender)) {
    verdict = Status(Code::kForbidden, "sender is not a member of the group");
    return {};
  }
  if (message.membership_seq != 0) {
    // Sender Keys: one ciphertext for the members of the chain the sender verified.
    if (message.membership_seq != group.chain_length || !message.key_wraps.empty()) {
      verdict = Status(Code::kMembershipChanged, "the group's membership chain is " +
                                                     std::to_string(group.chain_length) +
                                                     " records long");
      return {};
    }
    for (auto member = first; member != last; ++member) {
      if (*member == message.sender) continue;
      auto slot = user_slot(*member);
      if (!slot) return slot.status();
      if (!users_[*slot].exists) return {Code::kInternal, "group member without an account"};
      recipients_.push_back({*slot, -1});
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
    if (*member == message.sender) continue;  // the sender gets no copy
    while (wrap != wraps_.end() && wrap->first < *member)
      ++wrap;
    if (wrap == wraps_.end() || wrap->first != *member) {
      recipients_.clear();
      verdict =
          Status(Code::kMembershipChanged, "no key wrap for member " + std::to_string(*member));
      return {};
    }
    // user_slot() may add to users_ but never touches members_: the iterators stay valid.
    auto slot = user_slot(*member);
    if (!slot) return slot.status();
    if (!users_[*slot].exists) return {Code::kInternal, "group member without an account"};
    recipients_.push_back({*slot, wrap->second});
  }
  return {};
}

Result<std::optional<std::int64_t>> MessageWriter::find_original(const OutgoingMessage& message) {
  auto select = db_.prepare(kSelectOriginal);
  if (!select) return select.status();
  select->bind_int64(1, message.sender);
  select->bind_blob(2, message.message_id.bytes());
  switch (select->step()) {
    case Step::kRow:
      return std::optional<std::int64_t>(select->column_int64(0));
    case Step::kDone:
      return std::optional<std::int64_t>();
    case Step::kError:
      break;
  }
  return select->error();
}

Status MessageWriter::store_last_seqs() {
  auto update = db_.prepare(kUpdateLastSeq);
  if (!update) return update.status();
  for (const UserSlot& user : users_) {
    if (!user.dirty) continue;
    update->reset();
    update->bind_int64(1, user.id);
    update->bind_int64(2, user.last_seq);
    if (Status s = update->run(); !s) return s;
  }
  return {};
}

Status MessageWriter::commit_one(const OutgoingMessage& message, CommitOutcome& outcome,
                                 Statement& insert_message, Statement& insert_inbox) {
  // Everything is checked before anything is written: a message that fails leaves no
  // trace and the others of the batch go on.
  Status verdict;
  if (Status s = collect_recipients(message, verdict); !s) return s;

  bool inserted = false;
  if (verdict) {
    insert_message.reset();
    insert_message.bind_int64(1, message.sender);
    insert_message.bind_blob(2, message.message_id.bytes());
    if (message.group_id != 0) {
      insert_message.bind_int64(3, static_cast<std::int64_t>(message.group_id));
    } else {
      insert_message.bind_null(3);
    }
    // A message no inbox will hold (sent to a group of one) is a tombstone at once.
    insert_message.bind_blob(4, recipients_.empty() ? std::string_view() : message.body);
    insert_message.bind_int64(5, message.server_time_ms);
    insert_message.bind_int64(6, static_cast<std::int64_t>(recipients_.size()));
    if (insert_message.step() == Step::kError) return insert_message.error();
    inserted = db_.changes() == 1;  // 0: (sender, message_id) exists, DO NOTHING
  }
  if (!inserted) {
    // A retry of a committed message is a duplicate even when it could not be sent now
    // (the membership may have changed since), so look before reporting a failure.
    auto original = find_original(message);
    if (!original) return original.status();
    if (original->has_value()) {
      outcome.duplicate = true;
      outcome.server_time_ms = **original;
    } else if (!verdict) {
      outcome.status = std::move(verdict);
    } else {
      return {Code::kInternal, "message neither inserted nor found"};
    }
    return {};
  }

  const std::int64_t row = db_.last_insert_rowid();
  outcome.server_time_ms = message.server_time_ms;
  outcome.deliveries.reserve(recipients_.size());
  for (const Recipient& recipient : recipients_) {
    UserSlot& user = users_[recipient.user_slot];
    const std::int64_t seq = ++user.last_seq;  // gapless: only committed messages count
    user.dirty = true;
    insert_inbox.reset();
    insert_inbox.bind_int64(1, user.id);
    insert_inbox.bind_int64(2, seq);
    insert_inbox.bind_int64(3, row);
    if (recipient.key_wrap_index < 0) {
      insert_inbox.bind_null(4);
    } else {
      insert_inbox.bind_blob(4, message.key_wraps[recipient.key_wrap_index].sealed_key);
    }
    if (insert_inbox.step() == Step::kError) return insert_inbox.error();
    outcome.deliveries.push_back(
        {user.id, static_cast<std::uint64_t>(seq), recipient.key_wrap_index});
  }
  return {};
}

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
  start_batch();
  {
    auto insert_message = db_.prepare(kInsertMessage);
    if (!insert_message) return insert_message.status();
    auto insert_inbox = db_.prepare(kInsertInbox);
    if (!insert_inbox) return insert_inbox.status();
    for (std::size_t i = 0; i < messages.size(); ++i) {
      if (Status s = commit_one(messages[i], outcomes[i], *insert_message, *insert_inbox); !s) {
        return s;
      }
    }
  }
  // One UPDATE per distinct recipient, not per message.
  return store_last_seqs();
}

Status MessageWriter::write_acks(std::span<const AckRecord> acks) {
  if (acks.empty()) return {};
  // One pass per user however many acks of theirs the batch holds: the highest counts.
  start_batch();
  acks_.clear();
  for (const AckRecord& ack : acks) {
    const std::int64_t up_to =
        fits_int64(ack.up_to_seq) ? static_cast<std::int64_t>(ack.up_to_seq) : kMaxInt64;
    if (std::uint32_t slot = user_index_.find(ack.user_id); slot != IdIndexMap::kNone) {
      acks_[slot].second = std::max(acks_[slot].second, up_to);
    } else {
      user_index_.insert(ack.user_id, static_cast<std::uint32_t>(acks_.size()));
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
