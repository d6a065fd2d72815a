// Identities derived from constant seeds, for fuzzers and their seed writers: seeds
// signed or sealed by them verify and open in every run. `tag` picks one of them.
#pragma once

#include <sodium.h>

#include <cstdlib>
#include <string>

#include "crypto/identity.h"

namespace fastchat::fuzz {

inline crypto::Identity fixed_identity(unsigned char tag) {
  if (sodium_init() < 0) std::abort();
  unsigned char seed[crypto_sign_SEEDBYTES];
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  for (std::size_t i = 0; i < sizeof seed; ++i)
    seed[i] = static_cast<unsigned char>(i + tag);
  crypto_sign_seed_keypair(pk, sk, seed);
  std::string secret(reinterpret_cast<const char*>(sk), sizeof sk);
  for (int i = 0; i < 32; ++i)
    secret.push_back(static_cast<char>(0x3f + tag + i));
  auto made = crypto::Identity::from_secret(secret);
  sodium_memzero(secret.data(), secret.size());
  sodium_memzero(sk, sizeof sk);
  if (!made) std::abort();
  return std::move(made).value();
}

}  // namespace fastchat::fuzz
