#include "server/prekey_validation.h"

#include <set>
#include <string>

#include "crypto/x3dh.h"

namespace fastchat::server {
namespace {

Status bad(std::string message) {
  return {Code::kBadRequest, std::move(message)};
}

}  // namespace

Result<store::PrekeyUpload> validate_publish(const wire::PublishPrekeys& request, UserId user,
                                             std::string_view username,
                                             const store::IdentityKeys& identity,
                                             std::int64_t now_ms) {
  if (request.device_id() == 0) return bad("device id 0 is not a device");
  if (!request.has_signed_prekey()) return bad("a signed prekey is required");
  if (static_cast<std::size_t>(request.one_time_prekeys_size()) > kMaxOneTimePrekeysPerPublish) {
    return bad("at most " + std::to_string(kMaxOneTimePrekeysPerPublish) +
               " one-time prekeys per request");
  }
  const wire::SignedPrekey& spk = request.signed_prekey();
  crypto::PrekeyBundle bundle;
  bundle.address = {std::string(username), request.device_id()};
  bundle.identity_sign_key = identity.sign_public_key;
  bundle.identity_dh_key = identity.box_public_key;
  bundle.signed_prekey = {spk.id(), spk.public_key(), spk.signature()};
  // Key sizes, low-order points and the signature by the account's identity key.
  if (Status s = crypto::verify_bundle(bundle); !s) {
    return bad("signed prekey refused: " + s.message());
  }

  store::PrekeyUpload upload;
  upload.user = user;
  upload.device_id = request.device_id();
  upload.signed_prekey = {spk.id(), spk.public_key(), spk.signature()};
  upload.replace_one_time = request.replace_one_time();
  upload.now_ms = now_ms;
  std::set<std::uint32_t> ids;
  for (const wire::OneTimePrekey& key : request.one_time_prekeys()) {
    if (!crypto::usable_x25519_key(key.public_key())) {
      return bad("one-time prekey " + std::to_string(key.id()) + " is not a usable X25519 key");
    }
    if (!ids.insert(key.id()).second) {
      return bad("one-time prekey id " + std::to_string(key.id()) + " appears twice");
    }
    upload.one_time.push_back({key.id(), key.public_key()});
  }
  return upload;
}

}  // namespace fastchat::server
