#include "crypto/safety_number.h"

#include <sodium.h>

#include <cstdint>
#include <cstdio>

#include "crypto/bytes.h"
#include "crypto/sodium_init.h"

namespace fastchat::crypto {

namespace {

using detail::u8;

constexpr unsigned char kVersion[2] = {0, 0};  // Signal's FINGERPRINT_VERSION, big-endian
constexpr std::size_t kChunkBytes = 5;
constexpr std::size_t kChunksPerHalf = 6;

}  // namespace

std::string safety_number_key(const PublicIdentity& identity) {
  return identity.sign_public_key + identity.box_public_key;
}

std::string safety_number_half(std::string_view key, std::string_view stable_id) {
  ensure_sodium();
  unsigned char hash[crypto_hash_sha512_BYTES];
  crypto_hash_sha512_state state;
  // Round 1 hashes version || key || id || key; every later round hash || key.
  crypto_hash_sha512_init(&state);
  crypto_hash_sha512_update(&state, kVersion, sizeof kVersion);
  crypto_hash_sha512_update(&state, u8(key), key.size());
  crypto_hash_sha512_update(&state, u8(stable_id), stable_id.size());
  crypto_hash_sha512_update(&state, u8(key), key.size());
  crypto_hash_sha512_final(&state, hash);
  for (int i = 1; i < kSafetyNumberIterations; ++i) {
    crypto_hash_sha512_init(&state);
    crypto_hash_sha512_update(&state, hash, sizeof hash);
    crypto_hash_sha512_update(&state, u8(key), key.size());
    crypto_hash_sha512_final(&state, hash);
  }
  std::string digits;
  for (std::size_t chunk = 0; chunk < kChunksPerHalf; ++chunk) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < kChunkBytes; ++i)
      value = (value << 8) | hash[chunk * kChunkBytes + i];
    char five[8];
    std::snprintf(five, sizeof five, "%05u", static_cast<unsigned>(value % 100000));
    digits.append(five, 5);
  }
  return digits;
}

std::string safety_number(std::string_view local_key, std::string_view local_id,
                          std::string_view remote_key, std::string_view remote_id) {
  std::string local = safety_number_half(local_key, local_id);
  std::string remote = safety_number_half(remote_key, remote_id);
  return local <= remote ? local + remote : remote + local;
}

std::string format_safety_number(std::string_view digits) {
  std::string out;
  for (std::size_t i = 0; i < digits.size(); i += 5) {
    if (!out.empty()) out.push_back(' ');
    out.append(digits.substr(i, 5));
  }
  return out;
}

}  // namespace fastchat::crypto
