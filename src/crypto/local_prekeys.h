// The private halves of a device's prekeys (X3DH responder side): signed prekeys (the
// current one and a few previous ones, for initial messages still in flight after a
// rotation), one-time prekeys (each used once, then deleted), and the base keys of
// recent initial messages (an initial message sent without a one-time prekey cannot be
// replayed to open a second session). Bounded. Value type; not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/identity.h"
#include "crypto/secret.h"
#include "crypto/x3dh.h"

namespace fastchat::crypto {

class LocalPrekeys {
 public:
  static constexpr std::size_t kMaxSignedPrekeys = 3;
  static constexpr std::size_t kMaxOneTimePrekeys = 2000;
  static constexpr std::size_t kMaxRememberedBaseKeys = 4096;

  // A new current signed prekey (the next id), signed by `identity`, to publish.
  SignedPrekey rotate_signed(const Identity& identity);
  // `count` new one-time prekeys with the next ids, to publish. kLimitReached when the
  // store would hold more than kMaxOneTimePrekeys (nothing is added then).
  Result<std::vector<OneTimePrekey>> generate_one_time(std::size_t count);

  // The newest becomes the current signed prekey; beyond kMaxSignedPrekeys the oldest goes.
  void add_signed(PrekeyPair prekey);
  // kLimitReached at kMaxOneTimePrekeys, kBadRequest when the id is taken.
  Status add_one_time(PrekeyPair prekey);

  const PrekeyPair* current_signed() const;
  const PrekeyPair* signed_prekey(std::uint32_t id) const;
  const PrekeyPair* one_time(std::uint32_t id) const;
  std::size_t one_time_count() const { return one_time_.size(); }
  // After a first message decrypted with it (X3DH §3.4: delete it).
  void consume_one_time(std::uint32_t id);

  bool base_key_seen(std::string_view base_key) const;
  void remember_base_key(std::string_view base_key);

  // Versioned, length-checked; kCrypto on malformed input.
  SecretBytes serialize() const;
  static Result<LocalPrekeys> deserialize(std::string_view bytes);

 private:
  std::deque<PrekeyPair> signed_;  // oldest first
  std::map<std::uint32_t, PrekeyPair> one_time_;
  std::deque<std::string> base_keys_;  // oldest first
  std::uint32_t next_signed_id_ = 1;
  std::uint32_t next_one_time_id_ = 1;
};

}  // namespace fastchat::crypto
