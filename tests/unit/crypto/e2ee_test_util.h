// Helpers for the E2EE v2 tests: a device with its identity, address and prekeys that
// can hand out bundles as a server would, and hex decoding for test vectors.
// Not thread-safe.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/hex.h"
#include "crypto/identity.h"
#include "crypto/local_prekeys.h"
#include "crypto/peer_sessions.h"
#include "crypto/x3dh.h"

namespace fastchat::crypto::testing {

// A test vector's bytes; a typo in the vector fails the test.
inline std::string from_hex(std::string_view hex) {
  auto bytes = fastchat::from_hex(hex);
  if (!bytes) ADD_FAILURE() << "bad hex " << hex;
  return bytes.value_or("");
}

using fastchat::to_hex;

constexpr std::int64_t kNow = 1'800'000'000'000;

struct TestDevice {
  explicit TestDevice(std::string user, std::uint32_t device_id = 1)
      : identity(Identity::generate()), address{std::move(user), device_id} {
    prekeys.add_signed(generate_prekey(7));
    for (std::uint32_t id = 100; id < 110; ++id) {
      EXPECT_TRUE(prekeys.add_one_time(generate_prekey(id)));
    }
  }

  LocalDevice local() const { return {identity, address}; }

  // What a server hands out: the current signed prekey and, if asked, the next unused
  // one-time prekey (which the server then forgets; the device keeps it until used).
  PrekeyBundle bundle(bool with_one_time = true) {
    PrekeyBundle b;
    b.address = address;
    b.identity_sign_key = std::string(identity.sign_public_key());
    b.identity_dh_key = std::string(identity.box_public_key());
    b.signed_prekey = sign_prekey(identity, *prekeys.current_signed());
    if (with_one_time) {
      for (std::uint32_t id = next_one_time_; id < 110; ++id) {
        if (const PrekeyPair* p = prekeys.one_time(id)) {
          b.one_time_prekey = OneTimePrekey{p->id, p->public_key};
          next_one_time_ = id + 1;
          break;
        }
      }
    }
    return b;
  }

  // This device's view of its sessions with `peer`.
  PeerSessions sessions_with(const TestDevice& peer) const {
    return PeerSessions(peer.address, std::string(peer.identity.sign_public_key()),
                        std::string(peer.identity.box_public_key()));
  }

  Identity identity;
  DeviceAddress address;
  LocalPrekeys prekeys;

 private:
  std::uint32_t next_one_time_ = 100;
};

}  // namespace fastchat::crypto::testing
