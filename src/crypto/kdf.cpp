#include "crypto/kdf.h"

#include <sodium.h>

#include <algorithm>

#include "crypto/bytes.h"
#include "crypto/sodium_init.h"

namespace fastchat::crypto {

using detail::u8;

SecretBytes hmac_sha256(std::string_view key, std::string_view data) {
  ensure_sodium();
  crypto_auth_hmacsha256_state state;
  SecretBytes out(crypto_auth_hmacsha256_BYTES);
  crypto_auth_hmacsha256_init(&state, u8(key), key.size());
  crypto_auth_hmacsha256_update(&state, u8(data), data.size());
  crypto_auth_hmacsha256_final(&state, out.data());
  sodium_memzero(&state, sizeof state);
  return out;
}

SecretBytes hkdf_sha256(std::string_view salt, std::string_view ikm, std::string_view info,
                        std::size_t length) {
  detail::require(length > 0 && length <= kHkdfMaxOutput, "HKDF output length out of range");
  static constexpr char kZeroSalt[crypto_auth_hmacsha256_BYTES] = {};
  const SecretBytes prk =
      hmac_sha256(salt.empty() ? std::string_view(kZeroSalt, sizeof kZeroSalt) : salt, ikm);

  SecretBytes okm(length);
  unsigned char block[crypto_auth_hmacsha256_BYTES];
  std::size_t block_size = 0;
  std::size_t written = 0;
  for (unsigned counter = 1; written < length; ++counter) {
    crypto_auth_hmacsha256_state state;
    const unsigned char counter_byte = static_cast<unsigned char>(counter);
    crypto_auth_hmacsha256_init(&state, prk.data(), prk.size());
    crypto_auth_hmacsha256_update(&state, block, block_size);
    crypto_auth_hmacsha256_update(&state, u8(info), info.size());
    crypto_auth_hmacsha256_update(&state, &counter_byte, 1);
    crypto_auth_hmacsha256_final(&state, block);
    sodium_memzero(&state, sizeof state);
    block_size = sizeof block;
    const std::size_t take = std::min(block_size, length - written);
    std::copy_n(block, take, okm.data() + written);
    written += take;
  }
  sodium_memzero(block, sizeof block);
  return okm;
}

ChainStep chain_step(const SecretBytes& chain_key) {
  detail::require(chain_key.size() == kChainKeyBytes, "chain key has the wrong size");
  return {hmac_sha256(chain_key.view(), std::string_view("\x01", 1)),
          hmac_sha256(chain_key.view(), std::string_view("\x02", 1))};
}

}  // namespace fastchat::crypto
