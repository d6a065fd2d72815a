// ContactBook: the public identities of the users this client talks to, their trust
// state and the shared key with each (X25519 once per contact, never per message).
// Identities come from the server (GetIdentities), are checked with
// verify_public_identity and pinned in the HistoryStore on first use.
//
// A pinned identity never changes silently (docs/security.md, "Verified contacts"):
// when the server serves another (validly self-signed) key, the pin stays, the new
// key is recorded as pending and on_changed fires. Sending to the contact then uses
// the pending key with a warning while the contact is unverified, and stops with
// kIdentityChanged once the user had verified it, until the user accepts the new
// key. A message that does not decrypt never makes the book fetch or trust a key.
//
// Thread safety: none; belongs to one Client (one executor).
#pragma once

#include <asio/awaitable.hpp>
#include <functional>
#include <optional>
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
  crypto::PublicIdentity identity;  // the pinned one
  crypto::SharedKey key;            // shared by the local user and the pinned identity
  std::string fingerprint;          // of the pinned identity
  bool verified = false;            // the user compared safety numbers for it
  // Another key the server serves for this contact, not accepted by the user.
  std::optional<crypto::PublicIdentity> pending;
  std::optional<crypto::SharedKey> pending_key;
  std::string pending_fingerprint;
};

class ContactBook {
 public:
  using ChangedHandler =
      std::function<void(std::string_view username, std::string_view new_fingerprint)>;
  static constexpr std::size_t kMaxCached = 10'000;
  static constexpr int kMaxPerRequest = 256;  // the server's GetIdentities limit

  ContactBook(const crypto::Identity& me, HistoryStore& pins, const Clock& clock)
      : me_(me), pins_(pins), clock_(clock) {}

  void set_changed_handler(ChangedHandler handler) { on_changed_ = std::move(handler); }

  // The cached contact, or nullptr. Valid until the next ensure()/fetch_again()/accept().
  const Contact* find(std::string_view username) const;

  // Fetches and verifies every user of `usernames` (canonical) not cached yet.
  // kUnknownUser when the server does not know one; kCrypto when one's identity is
  // not validly signed.
  asio::awaitable<Status> ensure(Connection& connection, std::vector<std::string> usernames);

  // Asks the server for `username`'s keys even if cached: for `fastchat verify`,
  // which must show what the server serves now. Never called because a message
  // failed to decrypt.
  asio::awaitable<Status> fetch_again(Connection& connection, const std::string& username);

  // The key to seal a message to `contact` with: the pinned one; with a pending key,
  // that key if the contact is unverified (the change was reported through
  // on_changed), kIdentityChanged if it is verified.
  static Result<const crypto::SharedKey*> sending_key(const Contact& contact,
                                                      std::string_view username);

  // Verifies an identity received for `username` and records it (pinned, or pending
  // when another one is pinned), then caches the contact.
  Status accept(const std::string& username, const crypto::PublicIdentity& identity);

  // The user's decisions (fastchat verify): mark the pinned key verified (kIdentityChanged
  // while a changed key is pending: that one must be looked at first), or pin the
  // pending key (kNotFound when there is none). The cache follows.
  Status confirm(const std::string& username);
  Status accept_pending(const std::string& username, bool verified);

 private:
  asio::awaitable<Status> fetch(Connection& connection, const std::vector<std::string>& batch);
  // Rebuilds the cached contact from the store's record.
  Status load(const std::string& username);

  const crypto::Identity& me_;
  HistoryStore& pins_;
  const Clock& clock_;
  ChangedHandler on_changed_;
  std::unordered_map<std::string, Contact> cache_;
};

}  // namespace fastchat::client
