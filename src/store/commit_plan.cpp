#include "store/commit_plan.h"

#include <algorithm>
#include <string>

#include "store/sql_int.h"

namespace fastchat::store {
namespace {

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

MessageKey key_of(const StoredMessage& message) {
  return {message.sender, message.message_id};
}

template <typename T>
void sort_unique(std::vector<T>& values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
}

}  // namespace

const CommitReads& CommitPlan::start(std::span<const OutgoingMessage> messages) {
  messages_ = messages;
  reads_.groups.clear();
  reads_.users.clear();
  facts_.groups.clear();
  facts_.members.clear();
  facts_.chains.clear();
  facts_.users.clear();
  facts_.stored.clear();
  new_messages_.clear();
  rows_.clear();
  last_seqs_.clear();
  for (const OutgoingMessage& message : messages) {
    if (!well_formed(message)) continue;
    reads_.users.push_back(message.sender);
    if (message.to_user != 0) reads_.users.push_back(message.to_user);
    if (storable_group_id(message.group_id)) {
      reads_.groups.push_back(static_cast<std::int64_t>(message.group_id));
    }
  }
  sort_unique(reads_.users);
  sort_unique(reads_.groups);
  return reads_;
}

void CommitPlan::sort_facts() {
  sort_unique(facts_.groups);
  sort_unique(facts_.members);
  sort_unique(facts_.chains);
  sort_unique(facts_.users);
  std::sort(facts_.stored.begin(), facts_.stored.end(),
            [](const StoredMessage& a, const StoredMessage& b) { return key_of(a) < key_of(b); });
  dirty_.assign(facts_.users.size(), false);
}

void CommitPlan::link_repeats() {
  order_.resize(messages_.size());
  for (std::uint32_t i = 0; i < order_.size(); ++i)
    order_[i] = i;
  std::sort(order_.begin(), order_.end(), [this](std::uint32_t a, std::uint32_t b) {
    const MessageKey ka = key_of(messages_[a]), kb = key_of(messages_[b]);
    return ka < kb || (ka == kb && a < b);
  });
  previous_same_.assign(messages_.size(), -1);
  for (std::size_t i = 1; i < order_.size(); ++i) {
    if (key_of(messages_[order_[i]]) == key_of(messages_[order_[i - 1]])) {
      previous_same_[order_[i]] = static_cast<std::int32_t>(order_[i - 1]);
    }
  }
  inserted_.assign(messages_.size(), false);
}

std::int64_t CommitPlan::find_user(UserId id) const {
  const auto& users = facts_.users;
  auto it = std::lower_bound(users.begin(), users.end(), id,
                             [](const auto& user, UserId value) { return user.first < value; });
  return it != users.end() && it->first == id ? it - users.begin() : -1;
}

const StoredMessage* CommitPlan::find_stored(const OutgoingMessage& message) const {
  const MessageKey key = key_of(message);
  auto it = std::lower_bound(
      facts_.stored.begin(), facts_.stored.end(), key,
      [](const StoredMessage& stored, const MessageKey& value) { return key_of(stored) < value; });
  return it != facts_.stored.end() && key_of(*it) == key ? &*it : nullptr;
}

Status CommitPlan::collect_recipients(const OutgoingMessage& message, Status& verdict) {
  recipients_.clear();
  if (!well_formed(message)) {
    verdict = Status(Code::kBadRequest, "a message needs exactly one of recipient and group");
    return {};
  }
  if (find_user(message.sender) < 0) {
    verdict = Status(Code::kUnknownUser, "unknown sender");
    return {};
  }
  if (message.group_id != 0) return collect_group_recipients(message, verdict);

  // A direct message to oneself is delivered like any other (notes to self, other devices).
  const std::int64_t to = find_user(message.to_user);
  if (to < 0) {
    verdict = Status(Code::kUnknownUser, "unknown recipient");
    return {};
  }
  if (message.withheld) return {};  // no inbox: a tombstone at once
  recipients_.push_back({static_cast<std::uint32_t>(to), -1});
  return {};
}

Status CommitPlan::collect_group_recipients(const OutgoingMessage& message, Status& verdict) {
  const auto group = static_cast<std::int64_t>(message.group_id);
  if (!storable_group_id(message.group_id) ||
      !std::binary_search(facts_.groups.begin(), facts_.groups.end(), group)) {
    verdict = Status(Code::kUnknownGroup, "unknown group");
    return {};
  }
  const auto& members = facts_.members;
  const auto first =
      std::lower_bound(members.begin(), members.end(), std::pair{group, UserId{}},
                       [](const auto& a, const auto& b) { return a.first < b.first; });
  auto last = first;
  while (last != members.end() && last->first == group)
    ++last;
  if (!std::binary_search(first, last, std::pair{group, message.sender})) {
    verdict = Status(Code::kForbidden, "sender is not a member of the group");
    return {};
  }
  if (message.membership_seq != 0) {
    // Sender Keys: one ciphertext for the members of the chain the sender verified.
    const auto chain = std::lower_bound(facts_.chains.begin(), facts_.chains.end(),
                                        std::pair<std::int64_t, std::uint64_t>{group, 0});
    const std::uint64_t length =
        chain != facts_.chains.end() && chain->first == group ? chain->second : 0;
    if (message.membership_seq != length || !message.key_wraps.empty()) {
      verdict = Status(Code::kMembershipChanged, "the group's membership chain is " +
                                                     std::to_string(length) + " records long");
      return {};
    }
    for (auto member = first; member != last; ++member) {
      if (member->second == message.sender) continue;  // the sender gets no copy
      const std::int64_t user = find_user(member->second);
      if (user < 0) return {Code::kInternal, "group member without an account"};
      recipients_.push_back({static_cast<std::uint32_t>(user), -1});
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
    const UserId id = member->second;
    if (id == message.sender) continue;  // the sender gets no copy
    while (wrap != wraps_.end() && wrap->first < id)
      ++wrap;
    if (wrap == wraps_.end() || wrap->first != id) {
      recipients_.clear();
      verdict = Status(Code::kMembershipChanged, "no key wrap for member " + std::to_string(id));
      return {};
    }
    const std::int64_t user = find_user(id);
    if (user < 0) return {Code::kInternal, "group member without an account"};
    recipients_.push_back({static_cast<std::uint32_t>(user), wrap->second});
  }
  return {};
}

Status CommitPlan::decide(std::vector<CommitOutcome>& outcomes) {
  outcomes.assign(messages_.size(), CommitOutcome{});
  sort_facts();
  link_repeats();
  for (std::uint32_t i = 0; i < messages_.size(); ++i) {
    const OutgoingMessage& message = messages_[i];
    CommitOutcome& outcome = outcomes[i];
    Status verdict;
    if (Status s = collect_recipients(message, verdict); !s) return s;

    // Stored before this batch, or earlier in it? Checked before the verdict: a retry is
    // a duplicate even when the membership changed since.
    if (const StoredMessage* stored = find_stored(message); stored != nullptr) {
      outcome.duplicate = true;
      outcome.server_time_ms = stored->server_time_ms;
      continue;
    }
    std::int32_t earlier = previous_same_[i];
    while (earlier >= 0 && !inserted_[static_cast<std::size_t>(earlier)])
      earlier = previous_same_[static_cast<std::size_t>(earlier)];
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
    new_messages_.push_back({i, static_cast<std::int32_t>(recipients_.size())});
    outcome.server_time_ms = message.server_time_ms;
    outcome.deliveries.reserve(recipients_.size());
    for (const Recipient& recipient : recipients_) {
      auto& [id, last_seq] = facts_.users[recipient.user];
      const std::int64_t seq = ++last_seq;  // gapless: only committed messages count
      dirty_[recipient.user] = true;
      rows_.push_back({id, seq, i, recipient.key_wrap_index});
      outcome.deliveries.push_back({id, static_cast<std::uint64_t>(seq), recipient.key_wrap_index});
    }
  }
  for (std::size_t u = 0; u < facts_.users.size(); ++u) {
    if (dirty_[u]) last_seqs_.push_back(facts_.users[u]);
  }
  return {};
}

}  // namespace fastchat::store
