// Client::Impl, Sender Keys for groups (docs/e2ee-v2.md, "Sender Keys for groups"): this
// device's chain per group, distributed over the 1:1 ratchet sessions to the members the
// verified membership chain lists, rotated after anyone left; the chains received from
// the other members; group messages kept until their sender's key arrives. States are
// sealed (crypto::StateBox) in history.db and saved before a message leaves (sending)
// or with the message, before the ack (receiving).
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "client/client_impl.h"
#include "client/content.h"
#include "common/clock.h"
#include "crypto/sender_key_message.h"

namespace fastchat::client {

namespace {

constexpr std::string_view kOwnKind = "sender-key-own";
constexpr std::string_view kReceivedKind = "sender-key-received";

std::string owner_of(GroupId group, std::string_view user, std::uint32_t device) {
  return std::to_string(group) + "/" + std::string(user) + "/" + std::to_string(device);
}

void wipe(std::string& secret) {
  if (!secret.empty()) sodium_memzero(secret.data(), secret.size());
  secret.clear();
}

}  // namespace

Result<std::optional<Client::Impl::OwnSenderKey>> Client::Impl::load_own_sender_key(GroupId group) {
  if (!history_ || !state_box_) return Status(Code::kNotAuthenticated, "not logged in");
  auto stored = history_->own_sender_key(group, device_id_);
  if (!stored) return std::optional<OwnSenderKey>();
  auto state = state_box_->open(kOwnKind, owner_of(group, username_, device_id_), stored->state);
  if (!state)
    return Status(Code::kIo,
                  "the saved sender key of group " + std::to_string(group) + " does not open");
  auto sender = crypto::SenderKeySender::deserialize(state->view());
  if (!sender) return Status(Code::kIo, "the saved sender key is damaged");
  return std::optional<OwnSenderKey>(OwnSenderKey{std::move(*sender), stored->created_seq});
}

Status Client::Impl::save_own_sender_key(GroupId group, const OwnSenderKey& key) {
  return history_->save_own_sender_key(
      group, device_id_,
      HistoryStore::OwnSenderKey{state_box_->seal(kOwnKind, owner_of(group, username_, device_id_),
                                                  key.sender.serialize()),
                                 key.created_seq});
}

Result<crypto::SenderKeyDistribution> Client::Impl::current_sender_key(GroupId group,
                                                                       const GroupRecipients& to) {
  auto tx = HistoryStore::Transaction::begin(*history_);
  if (!tx) return tx.status();
  auto own = load_own_sender_key(group);
  if (!own) return own.status();
  bool changed = false;
  if (!*own) {
    own->emplace(
        OwnSenderKey{crypto::SenderKeySender::generate(
                         sender_key_group_id(group), crypto::DeviceAddress{username_, device_id_}),
                     to.membership_seq});
    changed = true;
  } else {
    // Anyone removed (or gone) since this key was made, or anyone holding it no longer a
    // member: a new chain, so that they read nothing from here on.
    auto removed = history_->removal_after(group, (*own)->created_seq);
    if (!removed) return removed.status();
    bool rotate = *removed;
    auto holders = history_->sender_key_recipients(group, (*own)->sender.key_id());
    if (!holders) return holders.status();
    for (const auto& holder : *holders) {
      if (std::find(to.members.begin(), to.members.end(), holder) == to.members.end()) {
        rotate = true;
      }
    }
    if (rotate) {
      spdlog::info("group {}: a member left; rotating this device's sender key", group);
      (*own)->sender = (*own)->sender.rotated();
      (*own)->created_seq = to.membership_seq;
      changed = true;
    }
  }
  if (changed) {
    if (Status s = save_own_sender_key(group, **own); !s) return s;
    if (Status s = tx->commit(); !s) return s;
  }
  return (*own)->sender.distribution();
}

asio::awaitable<Status> Client::Impl::distribute_sender_key(GroupId group,
                                                            const GroupRecipients& to,
                                                            bool& to_changed_key) {
  if (!history_ || !state_box_) co_return Status(Code::kNotAuthenticated, "not logged in");
  auto key = current_sender_key(group, to);
  if (!key) co_return key.status();
  const std::uint32_t key_id = key->key_id;
  for (const auto& member : to.members) {
    // The identity seal_direct encrypts to: a changed key not yet accepted gets the key
    // too (as it gets direct messages, with the warning), from the chain's current state.
    const Contact* contact = contacts_ ? contacts_->find(member) : nullptr;
    if (contact == nullptr) co_return Status(Code::kUnknownUser, "no keys for " + member);
    const std::string identity = contact->pending.value_or(contact->identity).sign_public_key;
    if (history_->has_sender_key_recipient(group, key_id, member, identity)) continue;
    const std::int64_t now = SystemClock::instance().now_ms();
    const auto id = MessageId::time_ordered(static_cast<std::uint64_t>(now));
    auto content = make_content(id, username_, member, 0, now);
    auto* sk = content.mutable_sender_key();
    sk->set_group_id(group);
    sk->set_membership_seq(to.membership_seq);
    sk->set_device(device_id_);
    sk->set_distribution(std::string(crypto::encode_sender_key_distribution(*key).view()));
    bool changed = false;
    // Only over a ratchet session: never the v1 static-key fallback.
    auto body = co_await seal_direct(member, content, changed, true, false);
    wipe(*sk->mutable_distribution());
    if (!body) co_return body.status();
    to_changed_key = to_changed_key || changed;
    wire::Frame frame;
    auto* send = frame.mutable_send();
    send->set_message_id(id.to_bytes());
    send->set_user(member);
    send->set_body(std::move(*body));
    auto ok = co_await send_with_retry(frame);
    if (!ok) co_return ok.status();
    if (!history_) co_return Status(Code::kNotAuthenticated, "logged out meanwhile");
    if (Status s = history_->add_sender_key_recipient(group, key_id, member, identity); !s) {
      co_return s;
    }
  }
  co_return Status::ok();
}

Result<std::string> Client::Impl::seal_with_sender_key(GroupId group,
                                                       const wire::Content& content) {
  if (!history_ || !state_box_) return Status(Code::kNotAuthenticated, "logged out meanwhile");
  auto tx = HistoryStore::Transaction::begin(*history_);
  if (!tx) return tx.status();
  auto own = load_own_sender_key(group);
  if (!own) return own.status();
  if (!*own) return Status(Code::kInternal, "no sender key for group " + std::to_string(group));
  std::string plain = content.SerializeAsString();
  auto body = (*own)->sender.encrypt(plain);
  wipe(plain);
  if (!body) return body.status();
  // Saved before the message leaves: a crash after sending must not reuse the key.
  if (Status s = save_own_sender_key(group, **own); !s) return s;
  if (Status s = tx->commit(); !s) return s;
  return body;
}

Result<std::optional<Client::Impl::ReceivedSenderKey>> Client::Impl::load_received_sender_key(
    GroupId group, const std::string& sender, std::uint32_t device) {
  auto stored = history_->received_sender_key(group, sender, device);
  if (!stored) return std::optional<ReceivedSenderKey>();
  auto state = state_box_->open(kReceivedKind, owner_of(group, sender, device), stored->state);
  if (!state) return Status(Code::kIo, "the saved sender key of " + sender + " does not open");
  auto receiver = crypto::SenderKeyReceiver::deserialize(state->view());
  if (!receiver) return Status(Code::kIo, "the saved sender key of " + sender + " is damaged");
  return std::optional<ReceivedSenderKey>(
      ReceivedSenderKey{std::move(*receiver), stored->membership_seq});
}

Status Client::Impl::save_received_sender_key(GroupId group, const std::string& sender,
                                              std::uint32_t device, const ReceivedSenderKey& key) {
  return history_->save_received_sender_key(
      group, sender, device, key.membership_seq,
      state_box_->seal(kReceivedKind, owner_of(group, sender, device), key.receiver.serialize()));
}

Result<wire::Content> Client::Impl::open_sender_key_item(const wire::InboxMessage& item,
                                                         const std::string& sender) {
  if (!history_ || !state_box_) return Status(Code::kNotAuthenticated, "not logged in");
  const GroupId group = item.group_id();
  auto message = crypto::decode_sender_key_message(item.body());
  if (!message) return Status(Code::kCrypto, "not a sender key message");
  // The key id names the sending device's chain; the signature names the device.
  std::optional<ReceivedSenderKey> found;
  std::uint32_t device = 0;
  for (std::uint32_t candidate : history_->received_sender_key_devices(group, sender)) {
    auto stored = load_received_sender_key(group, sender, candidate);
    if (!stored) return stored.status();
    if (*stored && (*stored)->receiver.knows_key(message->key_id)) {
      found = std::move(*stored);
      device = candidate;
      break;
    }
  }
  if (!found) {
    return Status(Code::kNotFound, "no sender key " + std::to_string(message->key_id) + " of " +
                                       sender + " for group " + std::to_string(group) + " (yet)");
  }
  // Checks the signature first; transactional (a failure changes nothing).
  auto plain = found->receiver.decrypt(item.body(), SystemClock::instance().now_ms());
  if (!plain) return Status(Code::kCrypto, plain.status().message());
  auto content = checked_content(*plain, item, username_);
  wipe(*plain);
  if (!content) return content.status();  // nothing saved: the key stays for the real one
  if (Status s = save_received_sender_key(group, sender, device, *found); !s) return s;
  return content;
}

Status Client::Impl::take_sender_key(const std::string& sender, std::uint32_t sender_device,
                                     const wire::SenderKeyContent& key) {
  const GroupId group = key.group_id();
  if (group == 0) return Status(Code::kCrypto, "a sender key for group 0");
  if (key.device() != sender_device) {
    return Status(Code::kCrypto, "a sender key for another device than the session's");
  }
  auto distribution = crypto::decode_sender_key_distribution(key.distribution());
  if (!distribution) return Status(Code::kCrypto, "a malformed sender key distribution");
  if (distribution->group_id != sender_key_group_id(group)) {
    return Status(Code::kCrypto, "a sender key distribution for another group");
  }
  auto stored = load_received_sender_key(group, sender, key.device());
  if (!stored) return stored.status();
  ReceivedSenderKey received{
      *stored ? std::move((*stored)->receiver)
              : crypto::SenderKeyReceiver(sender_key_group_id(group),
                                          crypto::DeviceAddress{sender, key.device()}),
      key.membership_seq()};
  if (Status s = received.receiver.add(*distribution); !s) return s;
  return save_received_sender_key(group, sender, key.device(), received);
}

asio::awaitable<Status> Client::Impl::check_group_sender(GroupId group, const std::string& sender) {
  if (!history_) co_return Status(Code::kNotAuthenticated, "not logged in");
  const auto head = history_->group_head(group);
  if (head && head->is_member(sender)) co_return Status::ok();
  auto chain = co_await fetch_chain(group);
  if (!chain) {
    if (chain.code() == Code::kUnavailable || chain.code() == Code::kNotAuthenticated) {
      co_return chain.status();  // may pass: the item is processed again later
    }
    if (!head && (chain.code() == Code::kForbidden || chain.code() == Code::kUnknownGroup)) {
      // Removed before this client ever read the chain: a message from before the
      // removal can be judged only by its key, which came over the sender's own session.
      spdlog::info("group {}: no longer a member; the message from '{}' is judged by its key",
                   group, sender);
      co_return Status::ok();
    }
    co_return Status(Code::kCrypto,
                     "the group's membership does not verify: " + chain.status().message());
  }
  if (!chain->is_member(sender)) {
    co_return Status(Code::kCrypto, sender + " is not a member of group " + std::to_string(group) +
                                        " by its signed membership");
  }
  co_return Status::ok();
}

asio::awaitable<void> Client::Impl::accept_sender_key(const std::string& sender, GroupId group,
                                                      std::uint64_t membership_seq) {
  co_await catch_up_membership(group, membership_seq);
  if (!history_) co_return;
  const auto head = history_->group_head(group);
  if (!head || !head->is_member(sender)) {
    if (head && head->seq() >= membership_seq) {
      // Verified: the sender is no member. Whatever it claims, its key opens nothing here.
      spdlog::warn("group {}: refused a sender key from '{}', who is not a member", group, sender);
      for (std::uint32_t device : history_->received_sender_key_devices(group, sender)) {
        if (Status s = history_->delete_received_sender_key(group, sender, device); !s) {
          spdlog::error("cannot delete a refused sender key: {}", s.to_string());
        }
      }
    }
    co_return;  // unverified yet: its messages are checked again when they arrive
  }
  auto kept = history_->pending_group_messages(group, sender);
  if (!kept) {
    spdlog::error("cannot read the kept group messages: {}", kept.status().to_string());
    co_return;
  }
  for (auto& pending : *kept) {
    if (!history_) co_return;
    wire::InboxMessage item;
    auto tx = HistoryStore::Transaction::begin(*history_);
    if (!tx) co_return;
    if (Status s = history_->drop_pending_group_message(pending.id); !s) co_return;
    Result<ItemOutcome> outcome = ItemOutcome{};
    if (item.ParseFromString(pending.item) && !history_->seen(pending.id)) {
      outcome = record_item(item, pending.id, sender, Status::ok());
    }
    if (!outcome) {
      spdlog::warn("kept group message {}: {}", pending.id.to_hex(), outcome.status().to_string());
      continue;  // rolled back: still kept
    }
    if (Status s = tx->commit(); !s) co_return;
    co_await report_item(item, pending.id, sender, *outcome);
  }
}

}  // namespace fastchat::client
