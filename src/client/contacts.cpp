#include "client/contacts.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace fastchat::client {

const Contact* ContactBook::find(std::string_view username) const {
  auto it = cache_.find(std::string(username));
  return it == cache_.end() ? nullptr : &it->second;
}

asio::awaitable<Status> ContactBook::ensure(Connection& connection,
                                            std::vector<std::string> usernames) {
  std::vector<std::string> missing;
  std::unordered_set<std::string> asked;
  for (auto& name : usernames) {
    if (cache_.count(name) == 0 && asked.insert(name).second) missing.push_back(std::move(name));
  }
  for (std::size_t i = 0; i < missing.size(); i += kMaxPerRequest) {
    const auto end = std::min(missing.size(), i + static_cast<std::size_t>(kMaxPerRequest));
    std::vector<std::string> batch(missing.begin() + static_cast<std::ptrdiff_t>(i),
                                   missing.begin() + static_cast<std::ptrdiff_t>(end));
    if (Status s = co_await fetch(connection, batch); !s) co_return s;
  }
  co_return Status::ok();
}

asio::awaitable<Status> ContactBook::fetch_again(Connection& connection,
                                                 const std::string& username) {
  const std::vector<std::string> one{username};
  co_return co_await fetch(connection, one);
}

asio::awaitable<Status> ContactBook::fetch(Connection& connection,
                                           const std::vector<std::string>& batch) {
  wire::Frame frame;
  auto* request = frame.mutable_get_identities();
  for (const auto& name : batch)
    request->add_usernames(name);
  auto reply = co_await connection.request(std::move(frame));
  if (!reply) co_return reply.status();
  if (!reply->has_identities()) co_return Status(Code::kBadRequest, "expected Identities");
  std::unordered_set<std::string> answered;
  for (const auto& entry : reply->identities().identities()) {
    // Only what was asked for: the server cannot push keys for other users.
    if (std::find(batch.begin(), batch.end(), entry.username()) == batch.end()) continue;
    const auto& id = entry.identity();
    crypto::PublicIdentity identity{id.sign_public_key(), id.box_public_key(), id.signature()};
    if (Status s = accept(entry.username(), identity); !s) co_return s;
    answered.insert(entry.username());
  }
  for (const auto& name : batch) {
    if (answered.count(name) == 0) co_return Status(Code::kUnknownUser, "no such user: " + name);
  }
  co_return Status::ok();
}

Result<const crypto::SharedKey*> ContactBook::sending_key(const Contact& contact,
                                                          std::string_view username) {
  if (!contact.pending_key) return &contact.key;
  if (contact.verified) {
    const std::string user(username);
    return Status(Code::kIdentityChanged,
                  "the identity key of " + user +
                      " changed since you verified it; nothing was sent. Compare the new "
                      "safety number with " +
                      user + " (`fastchat verify " + user +
                      "`), then accept it with `fastchat verify " + user + " --accept-new`");
  }
  return &*contact.pending_key;
}

Status ContactBook::accept(const std::string& username, const crypto::PublicIdentity& identity) {
  if (Status s = crypto::verify_public_identity(identity, username); !s) {
    spdlog::warn("identity of '{}' is not validly signed; not using it", username);
    return Status(Code::kCrypto, "the server sent keys for '" + username +
                                     "' that are not validly signed: " + s.message());
  }
  auto pin = pins_.pin_identity(username, identity, clock_.now_ms());
  if (!pin) return pin.status();
  if (Status s = load(username); !s) return s;
  if (*pin == HistoryStore::Pin::kChanged) {
    const std::string fp = crypto::fingerprint(identity);
    spdlog::warn("the server serves another key for '{}' (fingerprint {}); it is not trusted",
                 username, fp);
    if (on_changed_) on_changed_(username, fp);
  }
  return Status::ok();
}

Status ContactBook::load(const std::string& username) {
  auto record = pins_.contact(username);
  if (!record) return Status(Code::kIo, "history: the key of " + username + " is not pinned");
  auto key = crypto::SharedKey::derive(record->pinned.box_public_key, me_.box_secret_key());
  if (!key) return key.status();
  Contact contact;
  contact.fingerprint = crypto::fingerprint(record->pinned);
  contact.identity = std::move(record->pinned);
  contact.key = std::move(*key);
  contact.verified = record->verified;
  if (record->pending) {
    auto pending_key =
        crypto::SharedKey::derive(record->pending->box_public_key, me_.box_secret_key());
    if (!pending_key) return pending_key.status();
    contact.pending_key = std::move(*pending_key);
    contact.pending_fingerprint = crypto::fingerprint(*record->pending);
    contact.pending = std::move(record->pending);
  }
  if (cache_.size() >= kMaxCached && cache_.count(username) == 0) cache_.erase(cache_.begin());
  cache_.insert_or_assign(username, std::move(contact));
  return Status::ok();
}

Status ContactBook::confirm(const std::string& username) {
  const Contact* contact = find(username);
  if (contact == nullptr) return Status(Code::kNotFound, "no key of " + username + " is known");
  if (contact->pending) {
    return Status(Code::kIdentityChanged,
                  "the server now serves another key for " + username +
                      "; compare the new safety number and use --accept-new --confirm");
  }
  if (Status s = pins_.set_verified(username, true); !s) return s;
  return load(username);
}

Status ContactBook::accept_pending(const std::string& username, bool verified) {
  if (Status s = pins_.accept_pending(username, verified, clock_.now_ms()); !s) return s;
  return load(username);
}

}  // namespace fastchat::client
