// Where a logged-in home keeps its keystore's data key between processes, so that
// one-shot commands need no password: in the kernel keyring (crypto/kernel_keyring.h)
// under a name of the home and the user, the session file naming it; or, only when the
// user opts out of the keyring (FASTCHAT_DATA_KEY_IN_FILE=1), in the session file
// itself as before. docs/security.md "Keys at rest". Plain functions; no shared state.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "client/home.h"
#include "common/status.h"
#include "crypto/secret.h"

namespace fastchat::client {

struct DataKeyPolicy {
  // The key leaves the keyring after this long unused (each resume starts it again);
  // the default is the server's default --session-idle-timeout.
  std::chrono::seconds idle_timeout{30LL * 24 * 60 * 60};
  // The old file mode: the key in the 0600 session file (for kernels or containers
  // that refuse keyctl).
  bool in_file = false;
};

// The defaults, with $FASTCHAT_KEY_IDLE_TIMEOUT (seconds, > 0) and
// $FASTCHAT_DATA_KEY_IN_FILE=1 applied.
DataKeyPolicy data_key_policy_from_environment();

// "fastchat:data-key:USERNAME:" and 32 hex digits of BLAKE2b of the home's canonical
// path: parallel homes of one Unix user (tests, several accounts) never share a key.
std::string data_key_name(const std::string& home, std::string_view username);

// Ok when the policy can be kept here. kIo, saying how to proceed, when the kernel
// refuses the keyring (some containers' seccomp filters do).
Status check_data_key_store(const DataKeyPolicy& policy);

// Writes the session file for `session` (its data_key and data_key_ref are ignored)
// and keeps `data_key` by `policy`.
Status save_logged_in(const HomeLayout& home, SavedSession session,
                      const crypto::SecretBytes& data_key, const DataKeyPolicy& policy);

// The saved session with its data key in `data_key`, the key's idle timeout started
// again. A session file that still holds the key (from before the keyring) is moved
// over: key into the keyring, file rewritten without it (unless policy.in_file).
// kNotFound: no session file; kKeysLocked: the key is gone (a reboot, or unused past
// the idle timeout): unlock with the password; kIo: unreadable file, refused keyring.
Result<SavedSession> load_logged_in(const HomeLayout& home, const DataKeyPolicy& policy);

// Destroys the home's key of `username` in the keyring and wipes the session file.
Status forget_logged_in(const HomeLayout& home, std::string_view username);

}  // namespace fastchat::client
