// Writes the seed corpus of prekey_wire_fuzz (tests/fuzz/corpus/prekey_wire): publishes
// and bundle replies of the fixed account, valid and forged. Run by hand after a change:
//   build/asan/tests/fuzz/prekey_seed_writer tests/fuzz/corpus/prekey_wire
#include <cstdio>
#include <filesystem>
#include <string>

#include "client/prekey_bundles.h"
#include "crypto/local_prekeys.h"
#include "fastchat.pb.h"
#include "prekey_fuzz_fixture.h"
#include "seed_io.h"

namespace {

using fastchat::fuzz::write_message_seed;

fastchat::wire::DevicePrekeyBundle bundle_of(const fastchat::wire::PublishPrekeys& publish,
                                             const fastchat::crypto::PublicIdentity& identity,
                                             int one_time) {
  fastchat::wire::DevicePrekeyBundle bundle;
  bundle.set_device_id(publish.device_id());
  bundle.set_identity_sign_key(identity.sign_public_key);
  bundle.set_identity_dh_key(identity.box_public_key);
  *bundle.mutable_signed_prekey() = publish.signed_prekey();
  if (one_time >= 0) *bundle.mutable_one_time_prekey() = publish.one_time_prekeys(one_time);
  return bundle;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace fastchat;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir(argv[1]);
  const crypto::Identity& alice = fuzz::prekey_fuzz_identity();
  const crypto::PublicIdentity pinned = alice.public_identity("alice");
  crypto::LocalPrekeys local;
  local.rotate_signed(alice);
  auto one_time = local.generate_one_time(3);
  if (!one_time) return 1;

  wire::Frame publish;
  *publish.mutable_publish_prekeys() = client::make_publish(local, alice, 1, *one_time, false);
  write_message_seed(dir, "publish-valid", publish);
  wire::Frame forged = publish;
  (*forged.mutable_publish_prekeys()->mutable_signed_prekey()->mutable_signature())[0] ^= 1;
  write_message_seed(dir, "publish-forged-signature", forged);
  wire::Frame empty = publish;
  empty.mutable_publish_prekeys()->clear_one_time_prekeys();
  empty.mutable_publish_prekeys()->set_replace_one_time(true);
  write_message_seed(dir, "publish-signed-only", empty);

  wire::Frame reply;
  auto* bundles = reply.mutable_prekey_bundles();
  bundles->set_username("alice");
  *bundles->add_bundles() = bundle_of(publish.publish_prekeys(), pinned, 0);
  write_message_seed(dir, "bundles-one-time", reply);
  wire::Frame two = reply;
  wire::PublishPrekeys second = publish.publish_prekeys();
  second.set_device_id(2);
  *two.mutable_prekey_bundles()->add_bundles() = bundle_of(second, pinned, -1);
  write_message_seed(dir, "bundles-two-devices", two);
  wire::Frame swapped = reply;
  swapped.mutable_prekey_bundles()->mutable_bundles(0)->set_identity_dh_key(
      std::string(32, '\x09'));
  write_message_seed(dir, "bundles-other-identity", swapped);
  return 0;
}
