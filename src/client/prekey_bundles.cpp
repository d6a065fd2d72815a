#include "client/prekey_bundles.h"

#include <set>
#include <string>

namespace fastchat::client {
namespace {

std::string username_device(std::string_view username, std::uint32_t device_id) {
  return std::string(username) + " (device " + std::to_string(device_id) + ")";
}

}  // namespace

std::size_t one_time_prekeys_to_add(std::size_t held) {
  if (held >= kOneTimePrekeyLowWater) return 0;
  return kOneTimePrekeyTarget - held;
}

wire::PublishPrekeys make_publish(const crypto::LocalPrekeys& local,
                                  const crypto::Identity& identity, std::uint32_t device_id,
                                  const std::vector<crypto::OneTimePrekey>& one_time,
                                  bool replace_one_time) {
  wire::PublishPrekeys request;
  request.set_device_id(device_id);
  request.set_replace_one_time(replace_one_time);
  const crypto::PrekeyPair* current = local.current_signed();
  if (current != nullptr) {
    const crypto::SignedPrekey signed_prekey = crypto::sign_prekey(identity, *current);
    auto* spk = request.mutable_signed_prekey();
    spk->set_id(signed_prekey.id);
    spk->set_public_key(signed_prekey.public_key);
    spk->set_signature(signed_prekey.signature);
  }
  for (const crypto::OneTimePrekey& key : one_time) {
    auto* opk = request.add_one_time_prekeys();
    opk->set_id(key.id);
    opk->set_public_key(key.public_key);
  }
  return request;
}

Result<std::vector<crypto::PrekeyBundle>> verified_bundles(const wire::PrekeyBundles& reply,
                                                           std::string_view username,
                                                           const crypto::PublicIdentity& pinned) {
  if (reply.username() != username) {
    return Status(Code::kBadRequest, "the server answered with the prekeys of another user");
  }
  if (static_cast<std::size_t>(reply.bundles_size()) > kMaxBundlesPerUser) {
    return Status(Code::kBadRequest, "the server sent too many prekey bundles");
  }
  std::vector<crypto::PrekeyBundle> out;
  std::set<std::uint32_t> devices;
  for (const wire::DevicePrekeyBundle& in : reply.bundles()) {
    const std::string device = username_device(username, in.device_id());
    if (in.device_id() == 0 || !devices.insert(in.device_id()).second) {
      return Status(Code::kBadRequest, "the server sent a bad device id for " + device);
    }
    // Public keys: an ordinary comparison leaks nothing secret.
    if (in.identity_sign_key() != pinned.sign_public_key ||
        in.identity_dh_key() != pinned.box_public_key) {
      return Status(Code::kCrypto, "the prekey bundle of " + device +
                                       " is not for the identity pinned for " +
                                       std::string(username) + ": refused");
    }
    crypto::PrekeyBundle bundle;
    bundle.address = {std::string(username), in.device_id()};
    bundle.identity_sign_key = in.identity_sign_key();
    bundle.identity_dh_key = in.identity_dh_key();
    bundle.signed_prekey = {in.signed_prekey().id(), in.signed_prekey().public_key(),
                            in.signed_prekey().signature()};
    if (in.has_one_time_prekey()) {
      bundle.one_time_prekey =
          crypto::OneTimePrekey{in.one_time_prekey().id(), in.one_time_prekey().public_key()};
    }
    if (Status s = crypto::verify_bundle(bundle); !s) {
      return Status(Code::kCrypto, "the prekey bundle of " + device + " does not verify (" +
                                       s.message() + "): refused");
    }
    out.push_back(std::move(bundle));
  }
  return out;
}

}  // namespace fastchat::client
