// Small secrets kept in the Linux kernel keyring (keyctl(2), through libkeyutils):
// a `user` key in the calling Unix user's user keyring (@u), so every process of that
// user (the CLI's one-shot commands, the desktop) finds it, nothing of it is on disk,
// and a reboot forgets it. Readable and writable by its possessor and its owner only,
// with an idle timeout that each load starts again. Thread-safe (the kernel serializes).
#pragma once

#include <chrono>
#include <string>

#include "common/status.h"
#include "crypto/secret.h"

namespace fastchat::crypto::kernel_keyring {

// The largest secret kept (a data key is 32 bytes).
inline constexpr std::size_t kMaxSecretBytes = 256;

// Ok when this process may use its user keyring. kUnavailable when the kernel refuses
// (no keyring support, or a container's seccomp filter blocks keyctl), with errno's text.
Status probe();

// Stores `secret` under `description`, replacing a key of that description, and
// drops it after `idle_timeout` without a load. kUnavailable as probe().
Status store(const std::string& description, const SecretBytes& secret,
             std::chrono::seconds idle_timeout);

// The secret stored under `description`, its idle timeout started again (when
// `refresh` is positive). kNotFound when there is none: never stored, removed, expired
// or revoked, or the machine rebooted since. kUnavailable as probe().
Result<SecretBytes> load(const std::string& description, std::chrono::seconds refresh);

// Whether a live key of that description exists, without reading it or refreshing it.
bool exists(const std::string& description);

// Destroys the key (ok when there is none).
Status remove(const std::string& description);

}  // namespace fastchat::crypto::kernel_keyring
