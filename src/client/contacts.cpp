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

asio::awaitable<Result<bool>> ContactBook::refresh(Connection& connection,
                                                   const std::string& username) {
  if (!refreshed_.insert(username).second) co_return false;
  std::string old_key;
  if (const Contact* c = find(username)) old_key = c->identity.box_public_key;
  cache_.erase(username);
  const std::vector<std::string> one{username};
  if (Status s = co_await fetch(connection, one); !s) {
    if (s.code() == Code::kUnavailable) refreshed_.erase(username);  // try again later
    co_return s;
  }
  const Contact* now = find(username);
  co_return now != nullptr && now->identity.box_public_key != old_key;
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
  for (const auto& entry : reply->identities().identities()) {
    // Only what was asked for: the server cannot push keys for other users.
    if (std::find(batch.begin(), batch.end(), entry.username()) == batch.end()) continue;
    const auto& id = entry.identity();
    crypto::PublicIdentity identity{id.sign_public_key(), id.box_public_key(), id.signature()};
    if (Status s = accept(entry.username(), identity); !s) co_return s;
  }
  for (const auto& name : batch) {
    if (cache_.count(name) == 0) co_return Status(Code::kUnknownUser, "no such user: " + name);
  }
  co_return Status::ok();
}

Status ContactBook::accept(const std::string& username, const crypto::PublicIdentity& identity) {
  if (Status s = crypto::verify_public_identity(identity, username); !s) {
    spdlog::warn("identity of '{}' is not validly signed; not using it", username);
    return Status(Code::kCrypto, "the server sent keys for '" + username +
                                     "' that are not validly signed: " + s.message());
  }
  auto key = crypto::SharedKey::derive(identity.box_public_key, me_.box_secret_key());
  if (!key) return key.status();
  auto pin = pins_.pin_identity(username, identity, clock_.now_ms());
  if (!pin) return pin.status();
  std::string fp = crypto::fingerprint(identity);
  if (*pin == HistoryStore::Pin::kChanged) {
    spdlog::warn("the keys of '{}' changed (new fingerprint {})", username, fp);
    if (on_changed_) on_changed_(username, fp);
  }
  if (cache_.size() >= kMaxCached && cache_.count(username) == 0) cache_.erase(cache_.begin());
  cache_.insert_or_assign(username, Contact{identity, std::move(*key), std::move(fp)});
  return Status::ok();
}

}  // namespace fastchat::client
