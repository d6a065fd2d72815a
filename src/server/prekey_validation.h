// Checks of a PublishPrekeys request from a client, before anything is stored: counts,
// sizes, the device id, and the signed prekey's signature by the account's identity key
// (so the server never hands out a bundle that clients would refuse; they still verify
// it themselves). Pure; thread-safe. Fuzzed by tests/fuzz/prekey_publish_fuzz.cpp.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"
#include "fastchat.pb.h"
#include "store/store.h"

namespace fastchat::server {

inline constexpr std::size_t kMaxOneTimePrekeysPerPublish = 100;

// The upload to store, or kBadRequest saying what is wrong (kCrypto folded into it).
// `username` and `identity` are the publishing account's.
Result<store::PrekeyUpload> validate_publish(const wire::PublishPrekeys& request, UserId user,
                                             std::string_view username,
                                             const store::IdentityKeys& identity,
                                             std::int64_t now_ms);

}  // namespace fastchat::server
