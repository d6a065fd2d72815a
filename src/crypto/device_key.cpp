#include "crypto/device_key.h"

#include <sodium.h>

#include <algorithm>

#include "crypto/bytes.h"
#include "crypto/file_io.h"
#include "crypto/sodium_init.h"

namespace fastchat::crypto {

namespace {

constexpr std::string_view kDeviceIdContext = "fastchat/device-id/v1";
constexpr std::string_view kFileMagic = "FCDK\x01";
constexpr std::size_t kSeedBytes = crypto_sign_SEEDBYTES;
constexpr std::size_t kFileBytes = kFileMagic.size() + kSeedBytes;

Result<LoginKey> parse_device_file(const SecretBytes& file, const std::string& path) {
  if (file.size() != kFileBytes || file.view().substr(0, kFileMagic.size()) != kFileMagic) {
    return Status(Code::kIo, "malformed device key " + path);
  }
  SecretBytes seed(file.view().substr(kFileMagic.size()));
  return login_key_from_seed(seed);
}

}  // namespace

LoginKey new_device_key() {
  ensure_sodium();
  SecretBytes seed(kSeedBytes);
  randombytes_buf(seed.data(), seed.size());
  return login_key_from_seed(seed);
}

std::uint32_t device_id_of(std::string_view device_public_key) {
  ensure_sodium();
  std::uint8_t hash[32];
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, sizeof hash);
  crypto_generichash_update(&state, detail::u8(kDeviceIdContext), kDeviceIdContext.size());
  crypto_generichash_update(&state, detail::u8(device_public_key), device_public_key.size());
  crypto_generichash_final(&state, hash, sizeof hash);
  const std::uint32_t id = (std::uint32_t{hash[0]} << 24) | (std::uint32_t{hash[1]} << 16) |
                           (std::uint32_t{hash[2]} << 8) | std::uint32_t{hash[3]};
  return id == 0 ? 1 : id;
}

std::uint32_t random_session_id() {
  ensure_sodium();
  return randombytes_uniform(UINT32_MAX) + 1;
}

Result<LoginKey> load_or_create_device_key(const std::string& path) {
  auto existing = detail::read_private_file(path, kFileBytes);
  if (existing) return parse_device_file(*existing, path);
  if (existing.code() != Code::kNotFound) return existing.status();
  ensure_sodium();
  SecretBytes file(kFileBytes);
  std::copy(kFileMagic.begin(), kFileMagic.end(), reinterpret_cast<char*>(file.data()));
  randombytes_buf(file.data() + kFileMagic.size(), kSeedBytes);
  auto created = detail::create_private_file(path, file.view());
  if (!created) return created.status();
  if (*created) return parse_device_file(file, path);
  auto winner = detail::read_private_file(path, kFileBytes);
  if (!winner) return winner.status();
  return parse_device_file(*winner, path);
}

}  // namespace fastchat::crypto
