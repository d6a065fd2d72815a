#include "client/data_key_store.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <cstdlib>
#include <cstring>

#include "common/hex.h"
#include "crypto/kernel_keyring.h"
#include "crypto/sodium_init.h"

namespace fastchat::client {

namespace {

constexpr std::size_t kHomeHashBytes = 16;

std::string canonical_path(const std::string& path) {
  char* resolved = ::realpath(path.c_str(), nullptr);
  if (resolved == nullptr) return path;
  std::string out(resolved);
  std::free(resolved);
  return out;
}

std::string duration_text(std::chrono::seconds timeout) {
  const auto s = timeout.count();
  if (s % 86400 == 0) return std::to_string(s / 86400) + (s == 86400 ? " day" : " days");
  if (s % 3600 == 0) return std::to_string(s / 3600) + (s == 3600 ? " hour" : " hours");
  if (s % 60 == 0) return std::to_string(s / 60) + (s == 60 ? " minute" : " minutes");
  return std::to_string(s) + (s == 1 ? " second" : " seconds");
}

Status keyring_refused(const Status& why) {
  return Status(Code::kIo, why.message() +
                               " (some containers block keyctl): set FASTCHAT_DATA_KEY_IN_FILE=1 "
                               "to keep the keystore's data key in the session file instead, as "
                               "before (then whoever copies that file and the keystore can open "
                               "the private keys without the password)");
}

}  // namespace

DataKeyPolicy data_key_policy_from_environment() {
  DataKeyPolicy policy;
  if (const char* in_file = std::getenv("FASTCHAT_DATA_KEY_IN_FILE")) {
    policy.in_file = std::strcmp(in_file, "1") == 0;
  }
  if (const char* timeout = std::getenv("FASTCHAT_KEY_IDLE_TIMEOUT")) {
    const std::string_view text(timeout);
    long long seconds = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec == std::errc() && end == text.data() + text.size() && seconds > 0) {
      policy.idle_timeout = std::chrono::seconds(seconds);
    } else {
      spdlog::warn("ignoring FASTCHAT_KEY_IDLE_TIMEOUT={}: not a number of seconds", text);
    }
  }
  return policy;
}

std::string data_key_name(const std::string& home, std::string_view username) {
  crypto::ensure_sodium();
  const std::string path = canonical_path(home);
  unsigned char hash[kHomeHashBytes];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(path.data()),
                     path.size(), nullptr, 0);
  return "fastchat:data-key:" + std::string(username) + ":" + to_hex(hash);
}

Status check_data_key_store(const DataKeyPolicy& policy) {
  if (policy.in_file) return Status::ok();
  if (Status s = crypto::kernel_keyring::probe(); !s) return keyring_refused(s);
  return Status::ok();
}

Status save_logged_in(const HomeLayout& home, SavedSession session,
                      const crypto::SecretBytes& data_key, const DataKeyPolicy& policy) {
  const std::string name = data_key_name(home.home(), session.username);
  if (auto previous = load_session(home.session_file());
      previous && previous->username != session.username) {
    // Another user's session is replaced: its key goes too, rather than wait to expire.
    (void)crypto::kernel_keyring::remove(data_key_name(home.home(), previous->username));
  }
  session.data_key = crypto::SecretBytes();
  session.data_key_ref.clear();
  if (policy.in_file) {
    session.data_key = crypto::SecretBytes(data_key.view());
    (void)crypto::kernel_keyring::remove(name);  // one place at a time
  } else {
    if (Status s = crypto::kernel_keyring::store(name, data_key, policy.idle_timeout); !s) {
      return keyring_refused(s);
    }
    session.data_key_ref = name;
  }
  return save_session(home.session_file(), session);
}

Result<SavedSession> load_logged_in(const HomeLayout& home, const DataKeyPolicy& policy) {
  auto saved = load_session(home.session_file());
  if (!saved) return saved.status();
  if (!saved->data_key.empty()) {
    if (policy.in_file) return saved;
    // Written before the keyring: the key moves there, then the file is rewritten
    // without it (a crash in between leaves the old file, moved again next time).
    const crypto::SecretBytes key(saved->data_key.view());
    if (Status s = save_logged_in(home, std::move(*saved), key, policy); !s) return s;
    saved = load_session(home.session_file());
    if (!saved) return saved.status();
    saved->data_key = crypto::SecretBytes(key.view());
    spdlog::info("moved the keystore's data key of '{}' from {} into the kernel keyring",
                 saved->username, home.session_file());
    return saved;
  }
  // Looked up by this home's name, not by the file's reference: a session file copied
  // into another home does not reach this one's key.
  auto key = crypto::kernel_keyring::load(data_key_name(home.home(), saved->username),
                                          policy.idle_timeout);
  if (!key) {
    if (key.code() != Code::kNotFound) {
      return key.code() == Code::kUnavailable ? keyring_refused(key.status()) : key.status();
    }
    return Status(Code::kKeysLocked,
                  "the keystore's data key of '" + saved->username +
                      "' is no longer in the kernel keyring (the machine restarted, or it went "
                      "unused for " +
                      duration_text(policy.idle_timeout) + "); the password unlocks it");
  }
  saved->data_key = std::move(*key);
  return saved;
}

Status forget_logged_in(const HomeLayout& home, std::string_view username) {
  Status removed = crypto::kernel_keyring::remove(data_key_name(home.home(), username));
  if (Status wiped = wipe_session(home.session_file()); !wiped) return wiped;
  // A refusing keyring holds nothing of ours.
  return removed.code() == Code::kUnavailable ? Status::ok() : removed;
}

}  // namespace fastchat::client
