#include "crypto/keystore.h"

#include <sodium.h>

#include "crypto/bytes.h"
#include "crypto/file_io.h"
#include "crypto/sodium_init.h"

namespace fastchat::crypto {

namespace {

using detail::u8;

constexpr std::string_view kMagic = "FCKS";
constexpr unsigned char kVersion = 1;
constexpr std::size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kMac = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr std::size_t kKey = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
constexpr std::size_t kHeader = kMagic.size() + 1;
constexpr std::size_t kWrappedKey = kKey + kMac;
constexpr std::size_t kBodyOffset = kHeader + kNonce + kWrappedKey;
constexpr std::size_t kIdentitySecret = crypto_sign_SECRETKEYBYTES + crypto_box_SECRETKEYBYTES;
constexpr std::size_t kFileSize = kBodyOffset + kNonce + kIdentitySecret + kMac;
// Reads stop here: anything longer is not a version 1 keystore anyway.
constexpr std::size_t kMaxRead = 4096;

// Both ciphertexts are bound to the header and the account.
std::string associated_data(std::string_view username) {
  std::string ad(kMagic);
  ad.push_back(static_cast<char>(kVersion));
  ad.append(username);
  return ad;
}

// The file's bytes, checked for the version 1 layout.
Result<SecretBytes> read_keystore(const std::string& path) {
  auto file = detail::read_private_file(path, kMaxRead);
  if (!file) {
    if (file.code() == Code::kNotFound) return Status(Code::kNotFound, "no keystore at " + path);
    return file.status();
  }
  const std::string_view bytes = file->view();
  if (bytes.size() < kHeader || bytes.substr(0, kMagic.size()) != kMagic) {
    return Status(Code::kCrypto, path + " is not a fastchat keystore");
  }
  if (static_cast<unsigned char>(bytes[kMagic.size()]) != kVersion) {
    return Status(Code::kCrypto, path + " is a keystore of an unknown version");
  }
  if (bytes.size() != kFileSize) return Status(Code::kCrypto, path + " is truncated or damaged");
  return file;
}

Result<SecretBytes> unwrap(std::string_view file, std::string_view username,
                           const SecretBytes& storage_key) {
  if (storage_key.size() != kKey) return Status(Code::kCrypto, "storage key has the wrong size");
  const std::string ad = associated_data(username);
  SecretBytes data_key(kKey);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          data_key.data(), nullptr, nullptr, u8(file) + kHeader + kNonce, kWrappedKey, u8(ad),
          ad.size(), u8(file) + kHeader, storage_key.data()) != 0) {
    return Status(Code::kCrypto, "wrong password, or the keystore belongs to another account");
  }
  return data_key;
}

Result<Identity> decrypt_body(std::string_view file, std::string_view username,
                              const SecretBytes& data_key) {
  if (data_key.size() != kKey) return Status(Code::kCrypto, "data key has the wrong size");
  const std::string ad = associated_data(username);
  SecretBytes secret(kIdentitySecret);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          secret.data(), nullptr, nullptr, u8(file) + kBodyOffset + kNonce, kIdentitySecret + kMac,
          u8(ad), ad.size(), u8(file) + kBodyOffset, data_key.data()) != 0) {
    return Status(Code::kCrypto, "keystore is damaged, belongs to another account or key is wrong");
  }
  return Identity::from_secret(secret.view());
}

}  // namespace

Status save_keystore(const std::string& path, std::string_view username, const Identity& identity,
                     const SecretBytes& storage_key, SecretBytes* data_key_out) {
  ensure_sodium();
  if (storage_key.size() != kKey) return Status(Code::kCrypto, "storage key has the wrong size");
  const SecretBytes secret = identity.serialize_secret();
  if (secret.size() != kIdentitySecret) return Status(Code::kCrypto, "identity is empty");
  const std::string ad = associated_data(username);
  SecretBytes data_key(kKey);
  crypto_aead_xchacha20poly1305_ietf_keygen(data_key.data());

  std::string file(kMagic);
  file.push_back(static_cast<char>(kVersion));
  file.resize(kFileSize);
  unsigned char* out = u8(file);
  randombytes_buf(out + kHeader, kNonce);
  crypto_aead_xchacha20poly1305_ietf_encrypt(out + kHeader + kNonce, nullptr, data_key.data(),
                                             data_key.size(), u8(ad), ad.size(), nullptr,
                                             out + kHeader, storage_key.data());
  randombytes_buf(out + kBodyOffset, kNonce);
  crypto_aead_xchacha20poly1305_ietf_encrypt(out + kBodyOffset + kNonce, nullptr, secret.data(),
                                             secret.size(), u8(ad), ad.size(), nullptr,
                                             out + kBodyOffset, data_key.data());
  if (Status status = write_private_file(path, file); !status) return status;
  if (data_key_out) *data_key_out = std::move(data_key);
  return Status::ok();
}

Result<Identity> load_keystore(const std::string& path, std::string_view username,
                               const SecretBytes& storage_key) {
  ensure_sodium();
  auto file = read_keystore(path);
  if (!file) return file.status();
  auto data_key = unwrap(file->view(), username, storage_key);
  if (!data_key) return data_key.status();
  return decrypt_body(file->view(), username, *data_key);
}

Result<Identity> load_keystore_with_data_key(const std::string& path, std::string_view username,
                                             const SecretBytes& data_key) {
  ensure_sodium();
  auto file = read_keystore(path);
  if (!file) return file.status();
  return decrypt_body(file->view(), username, data_key);
}

Result<SecretBytes> unwrap_data_key(const std::string& path, std::string_view username,
                                    const SecretBytes& storage_key) {
  ensure_sodium();
  auto file = read_keystore(path);
  if (!file) return file.status();
  return unwrap(file->view(), username, storage_key);
}

}  // namespace fastchat::crypto
