// A fixed conversation for the E2EE v2 fuzzers: Alice and Bob with an established
// ratchet session and a sender key, so fuzzed messages reach the decrypt paths, not
// only the decoders. Built once per process; the fuzzers run single-threaded.
#pragma once

#include <cstdint>
#include <string>

#include "crypto/identity.h"
#include "crypto/local_prekeys.h"
#include "crypto/peer_sessions.h"
#include "crypto/sender_key.h"
#include "crypto/x3dh.h"

namespace fastchat::fuzz {

inline constexpr std::int64_t kFuzzNow = 1'800'000'000'000;

struct E2eeFixture {
  crypto::Identity alice_id = crypto::Identity::generate();
  crypto::Identity bob_id = crypto::Identity::generate();
  crypto::DeviceAddress alice{"alice", 1};
  crypto::DeviceAddress bob{"bob", 2};
  crypto::LocalPrekeys bob_prekeys;
  crypto::PeerSessions alice_to_bob{bob, std::string(bob_id.sign_public_key()),
                                    std::string(bob_id.box_public_key())};
  crypto::PeerSessions bob_from_alice{alice, std::string(alice_id.sign_public_key()),
                                      std::string(alice_id.box_public_key())};
  crypto::SenderKeySender group_sender = crypto::SenderKeySender::generate("group", alice);
  crypto::SenderKeyReceiver group_receiver{"group", alice};

  crypto::PrekeyBundle bob_bundle() const {
    crypto::PrekeyBundle b;
    b.address = bob;
    b.identity_sign_key = std::string(bob_id.sign_public_key());
    b.identity_dh_key = std::string(bob_id.box_public_key());
    b.signed_prekey = crypto::sign_prekey(bob_id, *bob_prekeys.current_signed());
    const crypto::PrekeyPair* one_time = bob_prekeys.one_time(100);
    if (one_time) b.one_time_prekey = crypto::OneTimePrekey{one_time->id, one_time->public_key};
    return b;
  }

  E2eeFixture() {
    bob_prekeys.add_signed(crypto::generate_prekey(7));
    (void)bob_prekeys.add_one_time(crypto::generate_prekey(100));
    (void)bob_prekeys.add_one_time(crypto::generate_prekey(101));
    (void)alice_to_bob.start({alice_id, alice}, bob_bundle());
    (void)bob_from_alice.decrypt({bob_id, bob}, bob_prekeys, *alice_to_bob.encrypt("hi"), kFuzzNow);
    (void)group_receiver.add(group_sender.distribution());
  }

  static E2eeFixture& get() {
    static E2eeFixture fixture;
    return fixture;
  }
};

}  // namespace fastchat::fuzz
