// PairKeys: the crypto_box shared key of every pair of bench users that exchange
// messages, computed once before the load starts (X25519 ~45 µs each, on several
// threads) so that sending and receiving only seal and open (DESIGN §7). The key of
// (a, b) equals the key of (b, a), so one entry serves both directions.
// Thread safety: build on one thread; find() from any thread afterwards.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "accounts.h"
#include "crypto/envelope.h"

namespace fastchat::bench {

class PairKeys {
 public:
  // Adds the keys of `pairs` (account indexes) not present yet.
  Status add(const std::vector<BenchAccount>& accounts,
             const std::vector<std::pair<std::uint32_t, std::uint32_t>>& pairs,
             std::size_t threads);
  const crypto::SharedKey* find(std::uint32_t a, std::uint32_t b) const;
  std::size_t size() const { return keys_.size(); }

 private:
  static std::uint64_t key(std::uint32_t a, std::uint32_t b) {
    if (a > b) std::swap(a, b);
    return (std::uint64_t{a} << 32) | b;
  }
  std::unordered_map<std::uint64_t, crypto::SharedKey> keys_;
};

}  // namespace fastchat::bench
