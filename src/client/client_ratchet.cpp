// Client::Impl, E2EE v2 for 1:1 messages (docs/e2ee-v2.md, "1:1 messages"): the
// Double Ratchet sessions with each peer device and this device's private prekeys,
// kept sealed (crypto::StateBox) in history.db. Sending saves the advanced session
// before the message leaves; receiving saves it in the caller's history transaction,
// with the message, before the ack. Addresses are (user, device); a direct body holds
// one ratchet message per device of the recipient (crypto/device_message.h).
#include <spdlog/spdlog.h>

#include "client/client_impl.h"
#include "client/content.h"
#include "client/prekey_bundles.h"
#include "common/clock.h"

namespace fastchat::client {

namespace {

constexpr std::string_view kSessionsKind = "peer-sessions";
constexpr std::string_view kPrekeysKind = "local-prekeys";

std::string owner_of(std::string_view user, std::uint32_t device) {
  return std::string(user) + "/" + std::to_string(device);
}

bool same_identity(const crypto::PeerSessions& sessions, const crypto::PublicIdentity& identity) {
  return sessions.is_for(identity.sign_public_key, identity.box_public_key);
}

}  // namespace

std::uint32_t Client::Impl::choose_device_id() const {
  // E2EE state saved under device 1 predates per-device ids: its sessions are bound to 1.
  if (history_->local_prekeys(crypto::kLegacyDeviceId)) return crypto::kLegacyDeviceId;
  return crypto::device_id_of(device_key_.public_key);
}

crypto::LocalDevice Client::Impl::local_device() const {
  return crypto::LocalDevice{*identity_, crypto::DeviceAddress{username_, device_id_}};
}

Result<std::optional<crypto::PeerSessions>> Client::Impl::load_sessions(
    const std::string& user, std::uint32_t device, const crypto::PublicIdentity& identity) {
  if (!history_ || !state_box_) return Status(Code::kNotAuthenticated, "not logged in");
  auto sealed = history_->peer_session(user, device, identity.sign_public_key);
  if (!sealed) return std::optional<crypto::PeerSessions>();
  auto state = state_box_->open(kSessionsKind, owner_of(user, device), *sealed);
  if (!state) return Status(Code::kIo, "the saved session with " + user + " does not open");
  auto sessions = crypto::PeerSessions::deserialize(state->view());
  if (!sessions) return Status(Code::kIo, "the saved session with " + user + " is damaged");
  return std::optional<crypto::PeerSessions>(std::move(*sessions));
}

Status Client::Impl::save_sessions(const crypto::PeerSessions& sessions) {
  const auto& peer = sessions.peer();
  return history_->save_peer_session(
      peer.user, peer.device_id, sessions.peer_sign_key(),
      state_box_->seal(kSessionsKind, owner_of(peer.user, peer.device_id), sessions.serialize()));
}

Result<std::optional<Client::Impl::StoredPrekeys>> Client::Impl::load_prekeys() {
  if (!history_ || !state_box_) return Status(Code::kNotAuthenticated, "not logged in");
  auto sealed = history_->local_prekeys(device_id_);
  if (!sealed) return std::optional<StoredPrekeys>();
  auto state = state_box_->open(kPrekeysKind, owner_of(username_, device_id_), sealed->state);
  if (!state) return Status(Code::kIo, "the saved prekeys do not open");
  auto prekeys = crypto::LocalPrekeys::deserialize(state->view());
  if (!prekeys) return Status(Code::kIo, "the saved prekeys are damaged");
  return std::optional<StoredPrekeys>(StoredPrekeys{std::move(*prekeys), sealed->signed_at_ms});
}

Status Client::Impl::save_prekeys(const crypto::LocalPrekeys& prekeys, std::int64_t signed_at_ms) {
  if (!history_ || !state_box_) return Status(Code::kNotAuthenticated, "not logged in");
  return history_->save_local_prekeys(
      device_id_,
      HistoryStore::SealedPrekeys{
          state_box_->seal(kPrekeysKind, owner_of(username_, device_id_), prekeys.serialize()),
          signed_at_ms});
}

asio::awaitable<Status> Client::Impl::maintain_prekeys(bool check_count) {
  if (!history_ || !identity_) co_return Status(Code::kNotAuthenticated, "not logged in");
  prekeys_consumed_ = false;
  auto loaded = load_prekeys();
  if (!loaded) co_return loaded.status();
  const std::int64_t now = SystemClock::instance().now_ms();
  std::int64_t signed_at = now;
  auto save = [this, &signed_at](const crypto::LocalPrekeys& local) {
    return save_prekeys(local, signed_at);
  };
  if (!*loaded) {
    crypto::LocalPrekeys local;
    auto held = co_await publish_prekeys(local, device_id_, save);
    if (held) spdlog::info("published prekeys ({} one-time)", *held);
    co_return held.status();
  }
  crypto::LocalPrekeys local = std::move((*loaded)->prekeys);
  signed_at = (*loaded)->signed_at_ms;
  if (now - signed_at >= kSignedPrekeyLifetime.count() || now < signed_at) {
    local.rotate_signed(*identity_);
    signed_at = now;
    if (Status s = save(local); !s) co_return s;
    wire::Frame frame;
    *frame.mutable_publish_prekeys() = make_publish(local, *identity_, device_id_, {}, false);
    auto reply = co_await call(std::move(frame));
    if (!reply) co_return reply.status();
    spdlog::info("rotated the signed prekey");
  }
  if (!check_count) co_return Status::ok();
  auto held = co_await top_up_prekeys(local, device_id_, save);
  co_return held.status();
}

asio::awaitable<void> Client::Impl::maintain_prekeys_logged(bool check_count) {
  if (Status s = co_await maintain_prekeys(check_count); !s) {
    spdlog::warn("cannot publish prekeys: {}", s.to_string());
  }
}

Result<std::string> Client::Impl::seal_with_sessions(
    const std::string& to, const crypto::PublicIdentity& identity,
    const std::vector<crypto::PrekeyBundle>& bundles, const wire::Content& content) {
  auto tx = HistoryStore::Transaction::begin(*history_);
  if (!tx) return tx.status();
  std::vector<crypto::PeerSessions> devices;
  auto saved = [&](std::uint32_t device) -> Result<std::optional<crypto::PeerSessions>> {
    auto stored = load_sessions(to, device, identity);
    if (!stored || !*stored || same_identity(**stored, identity)) return stored;
    return std::optional<crypto::PeerSessions>();
  };
  if (bundles.empty()) {
    for (std::uint32_t device : history_->peer_session_devices(to, identity.sign_public_key)) {
      auto stored = saved(device);
      if (!stored) return stored.status();
      if (*stored && (*stored)->has_session()) devices.push_back(std::move(**stored));
    }
    if (devices.empty()) return Status(Code::kNotFound, "no session with " + to);
  }
  for (const auto& bundle : bundles) {
    auto stored = saved(bundle.address.device_id);
    if (!stored) return stored.status();
    if (!*stored)
      stored->emplace(bundle.address, identity.sign_public_key, identity.box_public_key);
    if (!(*stored)->has_session()) {
      if (Status s = (*stored)->start(local_device(), bundle); !s) return s;
    }
    devices.push_back(std::move(**stored));
  }
  crypto::DeviceMessage message{device_id_, {}};
  const crypto::SecretBytes plain(content.SerializeAsString());
  for (auto& sessions : devices) {
    auto sealed = sessions.encrypt(plain.view());
    if (!sealed) return sealed.status();
    message.entries.push_back(
        {crypto::DeviceOwner::kRecipient, sessions.peer().device_id, std::move(*sealed)});
    // Saved before the message leaves: a crash after sending must not reuse the key.
    if (Status s = save_sessions(sessions); !s) return s;
  }
  auto body = crypto::encode_device_message(std::move(message));
  if (!body) return body.status();
  if (Status s = tx->commit(); !s) return s;
  return body;
}

asio::awaitable<Result<std::string>> Client::Impl::seal_direct(const std::string& to,
                                                               const wire::Content& content,
                                                               bool& key_changed,
                                                               bool may_reconnect, bool allow_v1) {
  auto peer = co_await contact(to);
  if (!peer) co_return peer.status();
  // The trust rules of v1 (contacts.h): a verified contact's changed key stops sending.
  if (auto key = ContactBook::sending_key(**peer, to); !key) co_return key.status();
  key_changed = (*peer)->pending.has_value();
  const crypto::PublicIdentity identity = (*peer)->pending.value_or((*peer)->identity);
  if (!history_) co_return Status(Code::kNotAuthenticated, "logged out meanwhile");

  const std::vector<crypto::PrekeyBundle> no_bundles;
  auto sealed = seal_with_sessions(to, identity, no_bundles, content);
  if (sealed || sealed.code() != Code::kNotFound) co_return sealed;
  // run() itself sends receipts (may_reconnect false): it must never wait on a sender
  // that waits for run() to reconnect.
  if (!may_reconnect && session_setup_lock_.locked()) {
    co_return Status(Code::kUnavailable, "a session is being set up; try again");
  }
  auto setting_up = co_await session_setup_lock_.lock();
  if (!history_) co_return Status(Code::kNotAuthenticated, "logged out meanwhile");
  sealed = seal_with_sessions(to, identity, no_bundles, content);  // opened while we waited?
  if (sealed || sealed.code() != Code::kNotFound) co_return sealed;
  const bool ever_had_session = history_->has_peer_session(to);

  // No session yet: the peer's bundle, checked against the identity chosen above.
  if (!may_reconnect && !session_ready()) co_return Status(Code::kUnavailable, "not connected");
  wire::Frame frame;
  frame.mutable_fetch_prekey_bundles()->set_username(to);
  // A connection lost here is ridden out as the Send itself would be.
  Result<wire::Frame> reply = Status(Code::kUnavailable, "not connected");
  if (may_reconnect) {
    reply = co_await request_with_retry(frame);
  } else {
    auto conn = conn_;
    reply = co_await conn->request(std::move(frame));
  }
  if (!reply) co_return reply.status();
  if (!reply->has_prekey_bundles()) co_return Status(Code::kBadRequest, "expected PrekeyBundles");
  auto bundles = verified_bundles(reply->prekey_bundles(), to, identity);
  if (!bundles) co_return bundles.status();
  if (!history_ || !contacts_) co_return Status(Code::kNotAuthenticated, "logged out meanwhile");
  if (!bundles->empty()) co_return seal_with_sessions(to, identity, *bundles, content);
  if (!allow_v1) {
    co_return Status(Code::kCrypto, to + " has no prekeys (a client before E2EE v2): cannot "
                                         "send them a group key; nothing was sent");
  }
  if (ever_had_session) {
    co_return Status(Code::kCrypto, to + " has published no prekeys since your last session; "
                                         "nothing was sent");
  }
  // A peer whose client predates v2: the static key (docs/decisions.md, "v1 fallback").
  const Contact* again = contacts_->find(to);
  if (again == nullptr) co_return Status(Code::kUnknownUser, "no keys for " + to);
  auto key = ContactBook::sending_key(*again, to);
  if (!key) co_return key.status();
  spdlog::info("{} has no prekeys yet: sending with envelope v1", to);
  co_return seal_direct_content(**key, content);
}

Result<wire::Content> Client::Impl::open_ratchet_item(const wire::InboxMessage& item,
                                                      const Contact& contact, OpenedFrom& from) {
  const std::string& sender = item.sender();
  // A bare ratchet or prekey message came from a client before per-device bodies.
  std::string_view message = item.body();
  std::optional<crypto::DeviceMessage> addressed;
  from.device = crypto::kLegacyDeviceId;
  if (static_cast<unsigned char>(message.front()) == crypto::kDeviceMessageV1) {
    auto decoded = crypto::decode_device_message(message);
    if (!decoded) return decoded.status();
    addressed = std::move(*decoded);
    const crypto::DeviceEntry* mine = addressed->find(crypto::DeviceOwner::kRecipient, device_id_);
    if (mine == nullptr) {
      return Status(Code::kCrypto, "not encrypted for this device (" + std::to_string(device_id_) +
                                       ") of " + username_);
    }
    from.device = addressed->sender_device;
    message = mine->message;
  }
  std::vector<const crypto::PublicIdentity*> candidates{&contact.identity};
  if (contact.pending) candidates.push_back(&*contact.pending);
  auto loaded = load_prekeys();
  if (!loaded) return loaded.status();
  crypto::LocalPrekeys prekeys;
  std::int64_t signed_at = 0;
  if (*loaded) {
    prekeys = std::move((*loaded)->prekeys);
    signed_at = (*loaded)->signed_at_ms;
  }
  const std::size_t one_time_before = prekeys.one_time_count();
  const std::int64_t now = SystemClock::instance().now_ms();
  Status failure(Code::kCrypto, "does not decrypt with any session of " + sender + "'s device " +
                                    std::to_string(from.device));
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    auto stored = load_sessions(sender, from.device, *candidates[i]);
    if (!stored) return stored.status();
    std::optional<crypto::PeerSessions> sessions;
    if (*stored && same_identity(**stored, *candidates[i])) {
      sessions = std::move(*stored);
    } else {
      sessions.emplace(crypto::DeviceAddress{sender, from.device}, candidates[i]->sign_public_key,
                       candidates[i]->box_public_key);
    }
    // Transactional: a failed try leaves both the sessions and the prekeys as they were.
    auto plain = sessions->decrypt(local_device(), prekeys, message, now);
    if (!plain) continue;
    auto content = checked_content(*plain, item, username_);
    if (!content) return content.status();  // nothing saved: the key stays for the real one
    if (Status s = save_sessions(*sessions); !s) return s;
    if (static_cast<unsigned char>(message.front()) == crypto::kPrekeyMessageV1 && *loaded) {
      if (Status s = save_prekeys(prekeys, signed_at); !s) return s;
      if (prekeys.one_time_count() < one_time_before) prekeys_consumed_ = true;
    }
    from.key_changed = i > 0;
    return content;
  }
  return failure;
}

}  // namespace fastchat::client
