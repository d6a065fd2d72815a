// Fuzzes the checks of E2EE v2 prekeys on untrusted protobuf: the server's validation of
// a client's PublishPrekeys (server/prekey_validation.h) and the client's verification
// of a server's PrekeyBundles (client/prekey_bundles.h). Whatever either accepts must
// verify on its own; neither may crash. Seeds: prekey_seed_writer.
#include <cstdint>
#include <cstdlib>

#include "client/prekey_bundles.h"
#include "crypto/x3dh.h"
#include "fastchat.pb.h"
#include "prekey_fuzz_fixture.h"
#include "server/prekey_validation.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fastchat;
  wire::Frame frame;
  if (!frame.ParseFromArray(data, static_cast<int>(size))) return 0;
  const crypto::Identity& alice = fuzz::prekey_fuzz_identity();
  const crypto::PublicIdentity pinned = alice.public_identity("alice");

  if (frame.has_publish_prekeys()) {
    const store::IdentityKeys keys{pinned.sign_public_key, pinned.box_public_key, pinned.signature};
    auto upload = server::validate_publish(frame.publish_prekeys(), 1, "alice", keys, 0);
    if (upload) {
      if (upload->device_id == 0 ||
          upload->one_time.size() > server::kMaxOneTimePrekeysPerPublish) {
        std::abort();
      }
      crypto::PrekeyBundle bundle;
      bundle.address = {"alice", upload->device_id};
      bundle.identity_sign_key = pinned.sign_public_key;
      bundle.identity_dh_key = pinned.box_public_key;
      bundle.signed_prekey = {upload->signed_prekey.id, upload->signed_prekey.public_key,
                              upload->signed_prekey.signature};
      for (const auto& key : upload->one_time) {
        bundle.one_time_prekey = crypto::OneTimePrekey{key.id, key.public_key};
        if (!crypto::verify_bundle(bundle)) std::abort();  // a bundle clients would refuse
      }
      if (upload->one_time.empty() && !crypto::verify_bundle(bundle)) std::abort();
    }
  }

  if (frame.has_prekey_bundles()) {
    auto bundles = client::verified_bundles(frame.prekey_bundles(), "alice", pinned);
    if (bundles) {
      for (const auto& bundle : *bundles) {
        if (bundle.identity_sign_key != pinned.sign_public_key || !crypto::verify_bundle(bundle)) {
          std::abort();
        }
      }
    }
  }
  return 0;
}
