#include "crypto/keystore.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "crypto/sodium_init.h"

namespace fastchat::crypto {

namespace {

constexpr std::string_view kMagic = "FCKS";
constexpr unsigned char kVersion = 1;
constexpr std::size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kMac = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr std::size_t kKey = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
constexpr std::size_t kHeader = 4 + 1;
constexpr std::size_t kWrappedKey = kKey + kMac;
constexpr std::size_t kBodyOffset = kHeader + kNonce + kWrappedKey;

const unsigned char* u8(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string associated_data(std::string_view username) {
  std::string ad(kMagic);
  ad.push_back(static_cast<char>(kVersion));
  ad.append(username);
  return ad;
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(Code::kNotFound, "no keystore at " + path);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

Result<std::string> read_keystore(const std::string& path) {
  auto file = read_file(path);
  if (!file) return file;
  if (file->size() < kBodyOffset + kNonce + kMac || file->compare(0, 4, kMagic) != 0 ||
      static_cast<unsigned char>((*file)[4]) != kVersion) {
    return Status(Code::kCrypto, path + " is not a fastchat keystore");
  }
  return file;
}

Result<SecretBytes> unwrap(const std::string& file, std::string_view username,
                           const SecretBytes& storage_key) {
  if (storage_key.size() != kKey) return Status(Code::kCrypto, "storage key has the wrong size");
  const std::string ad = associated_data(username);
  SecretBytes data_key(kKey);
  unsigned long long written = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          data_key.data(), &written, nullptr, u8(file) + kHeader + kNonce, kWrappedKey, u8(ad),
          ad.size(), u8(file) + kHeader, storage_key.data()) != 0) {
    return Status(Code::kCrypto, "wrong password (cannot unlock the keystore)");
  }
  return data_key;
}

Result<Identity> decrypt_body(const std::string& file, std::string_view username,
                              const SecretBytes& data_key) {
  if (data_key.size() != kKey) return Status(Code::kCrypto, "data key has the wrong size");
  const std::string ad = associated_data(username);
  const std::size_t ciphertext_size = file.size() - kBodyOffset - kNonce;
  SecretBytes secret(ciphertext_size - kMac);
  unsigned long long written = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          secret.data(), &written, nullptr, u8(file) + kBodyOffset + kNonce, ciphertext_size,
          u8(ad), ad.size(), u8(file) + kBodyOffset, data_key.data()) != 0) {
    return Status(Code::kCrypto, "keystore is damaged or belongs to another account");
  }
  return Identity::from_secret(secret.view());
}

}  // namespace

Status write_private_file(const std::string& path, std::string_view bytes) {
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status(Code::kIo, "cannot write " + temp + ": " + std::strerror(errno));
  ::fchmod(fd, 0600);  // in case the file existed with other bits
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      return Status(Code::kIo, "cannot write " + temp + ": " + std::strerror(error));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(temp.c_str());
    return Status(Code::kIo, "cannot flush " + temp);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    return Status(Code::kIo, "cannot rename to " + path + ": " + std::strerror(error));
  }
  return Status::ok();
}

Status save_keystore(const std::string& path, std::string_view username, const Identity& identity,
                     const SecretBytes& storage_key, SecretBytes* data_key_out) {
  ensure_sodium();
  if (storage_key.size() != kKey) return Status(Code::kCrypto, "storage key has the wrong size");
  const std::string ad = associated_data(username);
  SecretBytes data_key(kKey);
  crypto_aead_xchacha20poly1305_ietf_keygen(data_key.data());
  const SecretBytes secret = identity.serialize_secret();

  std::string file(kMagic);
  file.push_back(static_cast<char>(kVersion));
  file.resize(kBodyOffset + kNonce + secret.size() + kMac);
  auto* out = reinterpret_cast<unsigned char*>(file.data());
  unsigned long long written = 0;
  randombytes_buf(out + kHeader, kNonce);
  crypto_aead_xchacha20poly1305_ietf_encrypt(out + kHeader + kNonce, &written, data_key.data(),
                                             data_key.size(), u8(ad), ad.size(), nullptr,
                                             out + kHeader, storage_key.data());
  randombytes_buf(out + kBodyOffset, kNonce);
  crypto_aead_xchacha20poly1305_ietf_encrypt(out + kBodyOffset + kNonce, &written, secret.data(),
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
  auto data_key = unwrap(*file, username, storage_key);
  if (!data_key) return data_key.status();
  return decrypt_body(*file, username, *data_key);
}

Result<Identity> load_keystore_with_data_key(const std::string& path, std::string_view username,
                                             const SecretBytes& data_key) {
  ensure_sodium();
  auto file = read_keystore(path);
  if (!file) return file.status();
  return decrypt_body(*file, username, data_key);
}

Result<SecretBytes> unwrap_data_key(const std::string& path, std::string_view username,
                                    const SecretBytes& storage_key) {
  ensure_sodium();
  auto file = read_keystore(path);
  if (!file) return file.status();
  return unwrap(*file, username, storage_key);
}

}  // namespace fastchat::crypto
