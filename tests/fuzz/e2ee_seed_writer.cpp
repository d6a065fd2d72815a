// Writes the seed corpora of the E2EE v2 fuzzers (tests/fuzz/corpus/e2ee_*): real
// messages and states from a short conversation. Run by hand after a format change:
//   build/asan/tests/fuzz/e2ee_seed_writer tests/fuzz/corpus
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

#include "crypto/ratchet_message.h"
#include "crypto/x3dh_codec.h"
#include "e2ee_fixture.h"
#include "seed_io.h"

int main(int argc, char** argv) {
  using namespace fastchat;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path root(argv[1]);
  crypto::Identity alice_id = crypto::Identity::generate();
  crypto::Identity bob_id = crypto::Identity::generate();
  const crypto::DeviceAddress alice{"alice", 1}, bob{"bob", 2};
  crypto::LocalPrekeys prekeys;
  prekeys.add_signed(crypto::generate_prekey(7));
  (void)prekeys.add_one_time(crypto::generate_prekey(100));
  (void)prekeys.add_one_time(crypto::generate_prekey(101));
  crypto::PrekeyBundle bundle;
  bundle.address = bob;
  bundle.identity_sign_key = std::string(bob_id.sign_public_key());
  bundle.identity_dh_key = std::string(bob_id.box_public_key());
  bundle.signed_prekey = crypto::sign_prekey(bob_id, *prekeys.current_signed());
  fuzz::write_seed(root / "e2ee_bundle", "no_one_time", crypto::encode_bundle(bundle));
  bundle.one_time_prekey = crypto::OneTimePrekey{100, prekeys.one_time(100)->public_key};
  fuzz::write_seed(root / "e2ee_bundle", "with_one_time", crypto::encode_bundle(bundle));

  crypto::PeerSessions a(bob, bundle.identity_sign_key, bundle.identity_dh_key);
  crypto::PeerSessions b(alice, std::string(alice_id.sign_public_key()),
                         std::string(alice_id.box_public_key()));
  (void)a.start({alice_id, alice}, bundle);
  const std::string first = *a.encrypt("hello bob");
  fuzz::write_seed(root / "e2ee_prekey_message", "with_one_time", first);
  (void)b.decrypt({bob_id, bob}, prekeys, first, fuzz::kFuzzNow);
  const std::string skipped = *a.encrypt("skipped");
  (void)b.decrypt({bob_id, bob}, prekeys, *a.encrypt("third"), fuzz::kFuzzNow);
  fuzz::write_seed(root / "e2ee_state", "local_prekeys", prekeys.serialize().view());
  fuzz::write_seed(root / "e2ee_state", "peer_sessions_initiator", a.serialize().view());
  fuzz::write_seed(root / "e2ee_state", "peer_sessions_with_skipped", b.serialize().view());
  const std::string reply = *b.encrypt("hi alice");
  fuzz::write_seed(root / "e2ee_ratchet_message", "reply", reply);
  fuzz::write_seed(root / "e2ee_ratchet_message", "empty_plaintext", *b.encrypt(""));
  fuzz::write_seed(root / "e2ee_ratchet_message", "header_only",
                   std::string_view(reply).substr(0, 41));

  crypto::SenderKeySender sender = crypto::SenderKeySender::generate("group", alice);
  crypto::SenderKeyReceiver receiver("group", alice);
  (void)receiver.add(sender.distribution());
  fuzz::write_seed(root / "e2ee_sender_key", "distribution",
                   crypto::encode_sender_key_distribution(sender.distribution()).view());
  fuzz::write_seed(root / "e2ee_sender_key", "message", *sender.encrypt("hello group"));
  (void)receiver.decrypt(*sender.encrypt("later"), fuzz::kFuzzNow);
  fuzz::write_seed(root / "e2ee_state", "sender_key_sender", sender.serialize().view());
  fuzz::write_seed(root / "e2ee_state", "sender_key_receiver", receiver.serialize().view());
  // Each state seed must load, or the state fuzzer would only ever see rejections.
  if (!crypto::LocalPrekeys::deserialize(prekeys.serialize().view()) ||
      !crypto::PeerSessions::deserialize(a.serialize().view()) ||
      !crypto::PeerSessions::deserialize(b.serialize().view()) ||
      !crypto::SenderKeySender::deserialize(sender.serialize().view()) ||
      !crypto::SenderKeyReceiver::deserialize(receiver.serialize().view()) ||
      !crypto::decode_bundle(crypto::encode_bundle(bundle))) {
    std::fprintf(stderr, "a seed does not load\n");
    return 1;
  }
  std::printf("seeds written under %s\n", argv[1]);
  return 0;
}
