// The client's home directory and the session file in it:
//   <home>/session                        0600: who is logged in (see SavedSession)
//   <home>/known_hosts                    0600: pinned server keys (tls/known_hosts.h)
//   <home>/users/<username>/keystore      private identity (crypto/keystore.h)
//   <home>/users/<username>/device.key    0600: this device's key (crypto/device_key.h)
//   <home>/users/<username>/history.db    local history (history_store.h)
//   <home>/users/<username>/downloads/    received files
// Directories are created 0700. Plain functions over paths; no shared state.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/secret.h"

namespace fastchat::client {

class HomeLayout {
 public:
  explicit HomeLayout(std::string home_dir) : home_(std::move(home_dir)) {}

  const std::string& home() const { return home_; }
  std::string session_file() const { return home_ + "/session"; }
  // Pinned server keys (tls/known_hosts.h).
  std::string known_hosts() const { return home_ + "/known_hosts"; }
  // `username` must be canonical (normalize_username), so it is safe in a path.
  std::string user_dir(std::string_view username) const;
  std::string keystore(std::string_view username) const { return user_dir(username) + "/keystore"; }
  // The key this home's sessions of `username` are bound to (made once, kept across
  // logouts: the device keeps its id).
  std::string device_key(std::string_view username) const {
    return user_dir(username) + "/device.key";
  }
  std::string history_db(std::string_view username) const {
    return user_dir(username) + "/history.db";
  }
  std::string downloads(std::string_view username) const {
    return user_dir(username) + "/downloads";
  }

 private:
  std::string home_;
};

// Creates `path` and its missing parents with mode 0700 (kIo on failure).
Status make_private_dirs(const std::string& path);

bool file_exists(const std::string& path);

// What the session file holds while a user is logged in, so that one-shot commands
// need no password: the session token and where the keystore's data key is kept
// (client/data_key_store.h): the name of its kernel keyring key, or, in the file mode
// and in files from before the keyring, the key itself (then the file is as sensitive
// as the password). Written 0600 and atomically; logout wipes it.
struct SavedSession {
  std::string username;  // canonical
  std::string server;    // "host:port" it was opened with
  crypto::SecretBytes session_token;
  crypto::SecretBytes data_key;  // keystore data key (crypto::unwrap_data_key), or empty
  std::string data_key_ref;      // its kernel keyring name when data_key is not in the file
};

// Exactly one of data_key and data_key_ref is written (data_key when both are set).
Status save_session(const std::string& path, const SavedSession& session);
// kNotFound when there is no session file; kIo when it is unreadable or malformed (no
// token, or neither a data key nor a reference).
Result<SavedSession> load_session(const std::string& path);
// Overwrites and removes the session file; ok when there is none.
Status wipe_session(const std::string& path);

}  // namespace fastchat::client
