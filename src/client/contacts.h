// ContactBook: the verified public identities of the users this client talks to and
// the shared key with each (X25519 once per contact, never per message). Identities
// come from the server (GetIdentities), are checked with verify_public_identity and
// pinned in the HistoryStore on first use.
//
// v1 limitation (DESIGN §6): when a contact's keys change, the new keys are only
// accepted if validly self-signed; the user is warned (on_identity_changed) and the
// client carries on with the new keys. Safety numbers that block until the user
// re-verifies come with version 2.
//
// Thread safety: none; belongs to one Client (one executor).
#pragma once

#include <asio/awaitable.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "client/connection.h"
#include "client/history_store.h"
#include "common/clock.h"
#include "crypto/envelope.h"
#include "crypto/identity.h"

namespace fastchat::client {

struct Contact {
  crypto::PublicIdentity identity;
  crypto::SharedKey key;  // shared by the local user and this contact
  std::string fingerprint;
};

class ContactBook {
 public:
  using ChangedHandler =
      std::function<void(std::string_view username, std::string_view fingerprint)>;
  static constexpr std::size_t kMaxCached = 10'000;
  static constexpr int kMaxPerRequest = 256;  // the server's GetIdentities limit

  ContactBook(const crypto::Identity& me, HistoryStore& pins, const Clock& clock)
      : me_(me), pins_(pins), clock_(clock) {}

  void set_changed_handler(ChangedHandler handler) { on_changed_ = std::move(handler); }

  // The cached contact, or nullptr. Valid until the next ensure()/refresh()/accept().
  const Contact* find(std::string_view username) const;

  // Fetches and verifies every user of `usernames` (canonical) not cached yet.
  // kUnknownUser when the server does not know one; kCrypto when one's identity is
  // not validly signed.
  asio::awaitable<Status> ensure(Connection& connection, std::vector<std::string> usernames);

  // Fetches `username` again, once per contact per ContactBook, for a message that
  // did not open with the cached key. True when the keys changed.
  asio::awaitable<Result<bool>> refresh(Connection& connection, const std::string& username);

  // Verifies, pins and caches an identity received for `username`.
  Status accept(const std::string& username, const crypto::PublicIdentity& identity);

 private:
  asio::awaitable<Status> fetch(Connection& connection, const std::vector<std::string>& batch);

  const crypto::Identity& me_;
  HistoryStore& pins_;
  const Clock& clock_;
  ChangedHandler on_changed_;
  std::unordered_map<std::string, Contact> cache_;
  std::unordered_set<std::string> refreshed_;
};

}  // namespace fastchat::client
