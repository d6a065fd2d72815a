#include "crypto/kernel_keyring.h"

#include <keyutils.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace fastchat::crypto::kernel_keyring {

namespace {

// Possessor and owner may view, read, replace, find and set the timeout; nobody else
// anything (the group and other bits stay 0). No LINK: it never leaves @u.
constexpr key_perm_t kOwnerOnly = KEY_POS_VIEW | KEY_POS_READ | KEY_POS_WRITE | KEY_POS_SEARCH |
                                  KEY_POS_SETATTR | KEY_USR_VIEW | KEY_USR_READ | KEY_USR_WRITE |
                                  KEY_USR_SEARCH | KEY_USR_SETATTR;

bool gone(int error) {
  return error == ENOKEY || error == EKEYEXPIRED || error == EKEYREVOKED;
}

Status refused(const char* call, int error) {
  return Status(Code::kUnavailable,
                std::string("the kernel keyring refused ") + call + ": " + std::strerror(error));
}

unsigned timeout_seconds(std::chrono::seconds timeout) {
  // 0 would mean "never expires" to the kernel.
  return static_cast<unsigned>(std::clamp<std::chrono::seconds::rep>(timeout.count(), 1, 1u << 30));
}

// The key's serial, or -1 with errno set.
key_serial_t find(const std::string& description) {
  return static_cast<key_serial_t>(
      keyctl_search(KEY_SPEC_USER_KEYRING, "user", description.c_str(), 0));
}

}  // namespace

Status probe() {
  if (keyctl_get_keyring_ID(KEY_SPEC_USER_KEYRING, 1) < 0) {
    return refused("access to the user keyring", errno);
  }
  return Status::ok();
}

Status store(const std::string& description, const SecretBytes& secret,
             std::chrono::seconds idle_timeout) {
  if (secret.empty() || secret.size() > kMaxSecretBytes) {
    return Status(Code::kInternal, "a keyring secret must be 1 to 256 bytes");
  }
  // Made in this thread's keyring first, which this process possesses: where the
  // session keyring does not link @u (some PAM setups, containers), a key added to @u
  // directly would not be ours to set permissions on. Then linked into @u (replacing
  // a key of that description there) and dropped from the thread's keyring.
  const key_serial_t key =
      add_key("user", description.c_str(), secret.data(), secret.size(), KEY_SPEC_THREAD_KEYRING);
  if (key < 0) return refused("add_key", errno);
  Status result;
  if (keyctl_setperm(key, kOwnerOnly | KEY_POS_LINK) != 0 ||
      keyctl_set_timeout(key, timeout_seconds(idle_timeout)) != 0 ||
      keyctl_link(key, KEY_SPEC_USER_KEYRING) != 0 || keyctl_setperm(key, kOwnerOnly) != 0) {
    result = refused("storing the key in the user keyring", errno);
    keyctl_invalidate(key);
  }
  keyctl_unlink(key, KEY_SPEC_THREAD_KEYRING);
  return result;
}

Result<SecretBytes> load(const std::string& description, std::chrono::seconds refresh) {
  const key_serial_t key = find(description);
  if (key < 0) {
    if (gone(errno)) return Status(Code::kNotFound, "no key '" + description + "' in the keyring");
    return refused("keyctl_search", errno);
  }
  SecretBytes buffer(kMaxSecretBytes);
  const long size = keyctl_read(key, reinterpret_cast<char*>(buffer.data()), buffer.size());
  if (size < 0) {
    if (gone(errno)) return Status(Code::kNotFound, "the key '" + description + "' expired");
    return refused("keyctl_read", errno);
  }
  if (size == 0 || static_cast<std::size_t>(size) > buffer.size()) {
    return Status(Code::kCrypto, "the key '" + description + "' has the wrong size");
  }
  if (refresh.count() > 0) keyctl_set_timeout(key, timeout_seconds(refresh));
  return SecretBytes(buffer.view().substr(0, static_cast<std::size_t>(size)));
}

bool exists(const std::string& description) {
  return find(description) >= 0;
}

Status remove(const std::string& description) {
  const key_serial_t key = find(description);
  if (key < 0) return gone(errno) ? Status::ok() : refused("keyctl_search", errno);
  if (keyctl_invalidate(key) != 0 && !gone(errno)) return refused("keyctl_invalidate", errno);
  return Status::ok();
}

}  // namespace fastchat::crypto::kernel_keyring
