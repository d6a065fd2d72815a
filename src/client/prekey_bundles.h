// E2EE v2 prekeys on the client side, the parts without I/O: building a PublishPrekeys
// from the device's LocalPrekeys, deciding how many one-time prekeys to top up, and
// checking the bundles a server hands out. The server is hostile: a bundle is accepted
// only when its identity is the contact's pinned one and verify_bundle() passes (sizes,
// low-order points, the signed prekey's signature). Pure; thread-safe.
// Fuzzed by tests/fuzz/prekey_bundles_fuzz.cpp.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/identity.h"
#include "crypto/local_prekeys.h"
#include "crypto/x3dh.h"
#include "fastchat.pb.h"

namespace fastchat::client {

// One device's prekeys on the server are topped up to kOneTimePrekeyTarget when fewer
// than kOneTimePrekeyLowWater are left (the server keeps at most 200 a device).
inline constexpr std::size_t kOneTimePrekeyTarget = 100;
inline constexpr std::size_t kOneTimePrekeyLowWater = 25;
// What one PublishPrekeys carries at most (the server's limit).
inline constexpr std::size_t kMaxOneTimePerPublish = 100;
// Bundles accepted in one reply (the server's device cap is at most 64).
inline constexpr std::size_t kMaxBundlesPerUser = 64;

// How many one-time prekeys to publish when the server holds `held` for the device:
// 0 above the low-water mark, else enough to reach the target.
std::size_t one_time_prekeys_to_add(std::size_t held);

// A PublishPrekeys for `device_id` with the current signed prekey of `local` (signed
// anew by `identity`: Ed25519 is deterministic, so the signature is the one published
// before) and `one_time`. `local` must have a current signed prekey.
wire::PublishPrekeys make_publish(const crypto::LocalPrekeys& local,
                                  const crypto::Identity& identity, std::uint32_t device_id,
                                  const std::vector<crypto::OneTimePrekey>& one_time,
                                  bool replace_one_time);

// The bundles of `reply` for `username`, each verified: kCrypto (with the device) when
// a bundle's identity is not `pinned` (the contact's pinned identity) or it does not
// verify, kBadRequest when the reply is for someone else, has duplicate devices or
// too many bundles. One bad bundle refuses the whole reply (the server lied once).
Result<std::vector<crypto::PrekeyBundle>> verified_bundles(const wire::PrekeyBundles& reply,
                                                           std::string_view username,
                                                           const crypto::PublicIdentity& pinned);

}  // namespace fastchat::client
