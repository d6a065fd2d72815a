// The fixed account of the prekey fuzzer and its seed writer: "alice" with an identity
// derived from constant seeds, so seeds signed by it verify in every run.
#pragma once

#include <sodium.h>

#include <cstdlib>
#include <string>

#include "crypto/identity.h"
#include "crypto/secret.h"

namespace fastchat::fuzz {

inline const crypto::Identity& prekey_fuzz_identity() {
  static const crypto::Identity identity = [] {
    if (sodium_init() < 0) std::abort();
    unsigned char seed[crypto_sign_SEEDBYTES];
    unsigned char pk[crypto_sign_PUBLICKEYBYTES];
    unsigned char sk[crypto_sign_SECRETKEYBYTES];
    for (std::size_t i = 0; i < sizeof seed; ++i)
      seed[i] = static_cast<unsigned char>(i + 1);
    crypto_sign_seed_keypair(pk, sk, seed);
    std::string secret(reinterpret_cast<const char*>(sk), sizeof sk);
    for (int i = 0; i < 32; ++i)
      secret.push_back(static_cast<char>(0x40 + i));
    auto made = crypto::Identity::from_secret(secret);
    sodium_memzero(secret.data(), secret.size());
    sodium_memzero(sk, sizeof sk);
    if (!made) std::abort();
    return std::move(made).value();
  }();
  return identity;
}

}  // namespace fastchat::fuzz
