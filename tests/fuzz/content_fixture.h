// The fixed pair of the content and envelope fuzzers and their seed writer: "alice"
// sends to "bob"; "carol" is a third party. Keys come from constant seeds, so seeds
// sealed by the writer open in every run.
#pragma once

#include <cstdlib>
#include <string>

#include "crypto/envelope.h"
#include "fixed_identity.h"

namespace fastchat::fuzz {

struct ContentFixture {
  crypto::Identity alice = fixed_identity(2);
  crypto::Identity bob = fixed_identity(3);
  crypto::Identity carol = fixed_identity(4);
  // What bob opens alice's messages with (equal to what alice seals them with).
  crypto::SharedKey bob_from_alice = derive(alice, bob);
  crypto::SharedKey bob_from_carol = derive(carol, bob);
  // A fixed message id, group and associated data for sealed bodies.
  static constexpr std::uint64_t kGroup = 7;
  std::string message_id = std::string(16, '\x42');

  static crypto::SharedKey derive(const crypto::Identity& from, const crypto::Identity& to) {
    auto key = crypto::SharedKey::derive(from.box_public_key(), to.box_secret_key());
    if (!key) std::abort();
    return std::move(key).value();
  }

  static const ContentFixture& get() {
    static const ContentFixture fixture;
    return fixture;
  }
};

}  // namespace fastchat::fuzz
