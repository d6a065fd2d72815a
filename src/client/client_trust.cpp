// Client::Impl, verified contacts: safety numbers, the trust state of a contact and
// the user's decisions about it (docs/security.md, "Verified contacts").
#include "client/client_impl.h"
#include "common/username.h"
#include "crypto/safety_number.h"

namespace fastchat::client {

namespace {

ContactTrust describe_trust(const crypto::Identity& me, const std::string& my_name,
                            const std::string& username, const Contact& contact) {
  const crypto::PublicIdentity mine{std::string(me.sign_public_key()),
                                    std::string(me.box_public_key()), std::string()};
  const std::string my_key = crypto::safety_number_key(mine);
  ContactTrust trust;
  trust.username = username;
  trust.verified = contact.verified;
  trust.own_fingerprint = crypto::fingerprint(mine);
  trust.fingerprint = contact.fingerprint;
  trust.safety_number =
      crypto::safety_number(my_key, my_name, crypto::safety_number_key(contact.identity), username);
  if (contact.pending) {
    trust.key_changed = true;
    trust.new_fingerprint = contact.pending_fingerprint;
    trust.new_safety_number = crypto::safety_number(
        my_key, my_name, crypto::safety_number_key(*contact.pending), username);
  }
  return trust;
}

}  // namespace

asio::awaitable<Result<ContactTrust>> Client::Impl::contact_trust(std::string username,
                                                                  TrustAction action) {
  if (username_.empty() || !identity_) co_return Status(Code::kNotAuthenticated, "not logged in");
  auto name = normalize_username(username);
  if (!name) co_return Status(Code::kInvalidUsername, "not a valid username: " + username);
  if (*name == username_) {
    co_return Status(Code::kBadRequest, "a safety number is between you and another user");
  }
  // What the server serves now, so that a changed key shows up here too.
  if (Status s = co_await ensure_session(); !s) co_return s;
  auto conn = conn_;
  if (!conn || !contacts_) co_return Status(Code::kNotAuthenticated, "not logged in");
  if (Status s = co_await contacts_->fetch_again(*conn, *name); !s) co_return s;
  if (!contacts_) co_return Status(Code::kNotAuthenticated, "logged out meanwhile");
  switch (action) {
    case TrustAction::kShow:
      break;
    case TrustAction::kConfirm:
      if (Status s = contacts_->confirm(*name); !s) co_return s;
      break;
    case TrustAction::kAcceptNew:
    case TrustAction::kAcceptNewVerified:
      if (Status s = contacts_->accept_pending(*name, action == TrustAction::kAcceptNewVerified);
          !s) {
        co_return s;
      }
      break;
  }
  const Contact* contact = contacts_->find(*name);
  if (contact == nullptr) co_return Status(Code::kUnknownUser, "no keys for " + *name);
  co_return describe_trust(*identity_, username_, *name, *contact);
}

}  // namespace fastchat::client
