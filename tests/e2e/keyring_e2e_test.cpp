// The keystore's data key between `fastchat` processes: in the kernel keyring of the
// user running the tests (real keyctl, no mock), never in the session file; a key gone
// (reboot, idle timeout) locks the keys until `fastchat unlock`, and loses nothing.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "cli_fixture.h"
#include "client/data_key_store.h"
#include "common/hex.h"
#include "crypto/kernel_keyring.h"
#include "crypto/keystore.h"
#include "crypto/password.h"
#include "json_lite.h"
#include "process.h"
#include "support/test_files.h"

namespace fastchat::e2e {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using fastchat::test_support::read_file;

class KeyringE2e : public CliE2e {
 protected:
  void TearDown() override {
    for (const auto& [home_user, account] : logged_in_) {
      (void)crypto::kernel_keyring::remove(client::data_key_name(home(home_user), account));
    }
    CliE2e::TearDown();
  }

  // The name of the keyring key of `account` logged in from the home of `home_user`.
  std::string key_name(const std::string& home_user, const std::string& account) {
    logged_in_.emplace_back(home_user, account);
    return client::data_key_name(home(home_user), account);
  }
  // The data key the password unwraps from the keystore: what must not be in files.
  crypto::SecretBytes data_key(const std::string& home_user, const std::string& account) {
    const auto keys = crypto::derive_password_keys(account, password(account));
    auto key = crypto::unwrap_data_key(home(home_user) + "/users/" + account + "/keystore", account,
                                       keys.storage_key);
    EXPECT_TRUE(key) << key.status().to_string();
    return key ? std::move(*key) : crypto::SecretBytes();
  }
  void expect_no_key_in_session_file(const std::string& home_user, const crypto::SecretBytes& key) {
    const std::string text = read_file(home(home_user) + "/session");
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.find(key.view()), std::string::npos);
    EXPECT_EQ(text.find(to_hex(key.view())), std::string::npos) << text;
    EXPECT_EQ(text.find("data_key "), std::string::npos) << text;
  }
  std::string current_session_id(const std::string& home_user) {
    const RunResult listed = cli(home_user, {"--json", "sessions"});
    EXPECT_EQ(listed.exit_code, 0) << listed.err;
    for (const auto& line : lines_of(listed.out)) {
      const auto row = parse_json_object(line);
      if (row && row->at("current").value == "true") return row->at("id").value;
    }
    return {};
  }

  std::vector<std::pair<std::string, std::string>> logged_in_;
};

TEST_F(KeyringE2e, TheSessionFileHoldsNoKeyAndTheNextProcessFindsItInTheKeyring) {
  ASSERT_OK(register_user("alice"));
  const crypto::SecretBytes key = data_key("alice", "alice");
  expect_no_key_in_session_file("alice", key);
  auto kept = crypto::kernel_keyring::load(key_name("alice", "alice"), 0s);
  ASSERT_TRUE(kept) << kept.status().to_string();
  EXPECT_TRUE(kept->equals(key.view()));

  // Another process resumes with it, and after a login the same holds.
  ASSERT_OK(cli("alice", {"whoami"}));
  ASSERT_OK(cli("alice", {"logout"}));
  ASSERT_OK(cli("alice", {"--password-stdin", "login", "alice"}, password("alice") + "\n"));
  expect_no_key_in_session_file("alice", key);
  ASSERT_OK(cli("alice", {"whoami"}));
}

TEST_F(KeyringE2e, AnOldSessionFileMovesItsKeyIntoTheKeyring) {
  // The file mode writes the session file as clients before the keyring did.
  ASSERT_OK(cli_env("alice", {"FASTCHAT_DATA_KEY_IN_FILE=1"},
                    {"--password-stdin", "register", "alice"}, password("alice") + "\n"));
  const crypto::SecretBytes key = data_key("alice", "alice");
  ASSERT_NE(read_file(home("alice") + "/session").find("data_key " + to_hex(key.view())),
            std::string::npos);
  EXPECT_FALSE(crypto::kernel_keyring::exists(key_name("alice", "alice")));

  const RunResult who = cli("alice", {"whoami"});
  ASSERT_EQ(who.exit_code, 0) << who.err;
  EXPECT_EQ(who.err, "");
  expect_no_key_in_session_file("alice", key);
  auto kept = crypto::kernel_keyring::load(key_name("alice", "alice"), 0s);
  ASSERT_TRUE(kept) << kept.status().to_string();
  EXPECT_TRUE(kept->equals(key.view()));
  ASSERT_OK(cli("alice", {"whoami"}));  // and from the keyring from now on
}

TEST_F(KeyringE2e, LockedKeysNeedThePasswordAndLoseNothing) {
  ASSERT_OK(register_user("alice"));
  ASSERT_OK(register_user("bob"));
  ASSERT_OK(cli("bob", {"send", "alice", "before the restart"}));
  ASSERT_OK(cli("alice", {"recv"}));
  const std::string session_id = current_session_id("alice");
  ASSERT_FALSE(session_id.empty());

  // A reboot empties the keyring.
  ASSERT_TRUE(crypto::kernel_keyring::remove(key_name("alice", "alice")));
  ASSERT_OK(cli("bob", {"send", "alice", "while locked"}));
  const std::vector<std::vector<std::string>> commands = {
      {"whoami"}, {"recv"}, {"send", "bob", "hi"}};
  for (const auto& command : commands) {
    const RunResult locked = cli("alice", command);
    EXPECT_EQ(locked.exit_code, 8) << command[0] << ": " << locked.out;
    const std::string line = single_error_line(locked);
    EXPECT_NE(line.find("locked"), std::string::npos) << line;
    EXPECT_NE(line.find("run `fastchat unlock`"), std::string::npos) << line;
  }
  const RunResult json = cli("alice", {"--json", "whoami"});
  EXPECT_EQ(json.exit_code, 8);
  const auto error = parse_json_object(single_error_line(json));
  ASSERT_TRUE(error) << json.err;
  EXPECT_EQ(error->at("code").value, "keys_locked");

  const RunResult wrong = cli("alice", {"--password-stdin", "unlock"}, "not the password\n");
  EXPECT_EQ(wrong.exit_code, 3) << wrong.out;
  EXPECT_NE(single_error_line(wrong).find("wrong password"), std::string::npos) << wrong.err;
  EXPECT_FALSE(crypto::kernel_keyring::exists(key_name("alice", "alice")));

  const RunResult unlocked = cli("alice", {"--password-stdin", "unlock"}, password("alice") + "\n");
  ASSERT_EQ(unlocked.exit_code, 0) << unlocked.err;
  EXPECT_EQ(unlocked.out, "unlocked alice\n");
  expect_no_key_in_session_file("alice", data_key("alice", "alice"));

  // The same session (no new login), the history and the message that came meanwhile.
  EXPECT_EQ(current_session_id("alice"), session_id);
  const RunResult received = cli("alice", {"recv"});
  ASSERT_EQ(received.exit_code, 0) << received.err;
  EXPECT_NE(received.out.find("while locked"), std::string::npos) << received.out;
  const RunResult history = cli("alice", {"history", "bob"});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  EXPECT_NE(history.out.find("before the restart"), std::string::npos) << history.out;
  ASSERT_OK(cli("alice", {"send", "bob", "back"}));
}

TEST_F(KeyringE2e, AKeyUnusedPastTheIdleTimeoutLocksTheKeys) {
  ASSERT_OK(cli_env("alice", {"FASTCHAT_KEY_IDLE_TIMEOUT=1"},
                    {"--password-stdin", "register", "alice"}, password("alice") + "\n"));
  const std::string name = key_name("alice", "alice");
  EXPECT_TRUE(eventually([&] { return !crypto::kernel_keyring::exists(name); }, 10s));
  const RunResult locked = cli("alice", {"whoami"});
  EXPECT_EQ(locked.exit_code, 8) << locked.out;
  EXPECT_NE(single_error_line(locked).find("no longer in the kernel keyring"), std::string::npos)
      << locked.err;
  ASSERT_OK(cli("alice", {"--password-stdin", "unlock"}, password("alice") + "\n"));
  ASSERT_OK(cli("alice", {"whoami"}));
}

TEST_F(KeyringE2e, LogoutRemovesTheKeyAndRevokesTheSessionEvenWhenLocked) {
  ASSERT_OK(register_user("alice"));
  ASSERT_OK(cli("alice", {"logout"}));
  EXPECT_FALSE(crypto::kernel_keyring::exists(key_name("alice", "alice")));
  EXPECT_FALSE(fs::exists(home("alice") + "/session"));

  // alice on a second device watches her sessions; the first one logs out while locked.
  ASSERT_OK(cli("alice", {"--password-stdin", "login", "alice"}, password("alice") + "\n"));
  fs::create_directories(home("alice-laptop") + "/users/alice");
  fs::copy_file(home("alice") + "/users/alice/keystore",
                home("alice-laptop") + "/users/alice/keystore");
  ASSERT_OK(cli("alice-laptop", {"--password-stdin", "login", "alice"}, password("alice") + "\n"));
  key_name("alice-laptop", "alice");
  ASSERT_TRUE(crypto::kernel_keyring::remove(key_name("alice", "alice")));
  const RunResult out = cli("alice", {"logout"});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(out.out, "logged out alice\n");
  EXPECT_FALSE(fs::exists(home("alice") + "/session"));
  const RunResult left = cli("alice-laptop", {"--json", "sessions"});
  ASSERT_EQ(left.exit_code, 0) << left.err;
  EXPECT_EQ(lines_of(left.out).size(), 1u) << "the locked session was not revoked: " << left.out;
}

TEST_F(KeyringE2e, TwoHomesDoNotSeeEachOthersKey) {
  ASSERT_OK(register_user("alice"));
  fs::create_directories(home("alice-laptop") + "/users/alice");
  fs::copy_file(home("alice") + "/users/alice/keystore",
                home("alice-laptop") + "/users/alice/keystore");
  ASSERT_OK(cli("alice-laptop", {"--password-stdin", "login", "alice"}, password("alice") + "\n"));
  EXPECT_NE(key_name("alice", "alice"), key_name("alice-laptop", "alice"));

  // One home locked or logged out: the other goes on.
  ASSERT_TRUE(crypto::kernel_keyring::remove(key_name("alice", "alice")));
  EXPECT_EQ(cli("alice", {"whoami"}).exit_code, 8);
  ASSERT_OK(cli("alice-laptop", {"whoami"}));
  ASSERT_OK(cli("alice", {"--password-stdin", "unlock"}, password("alice") + "\n"));
  ASSERT_OK(cli("alice-laptop", {"logout"}));
  ASSERT_OK(cli("alice", {"whoami"}));

  // A session file copied into another home does not reach the first home's key.
  fs::copy_file(home("alice") + "/session", home("alice-laptop") + "/session");
  const RunResult copied = cli("alice-laptop", {"whoami"});
  EXPECT_EQ(copied.exit_code, 8) << copied.out;
}

TEST_F(KeyringE2e, PasswdReplacesTheKeyInTheKeyring) {
  ASSERT_OK(register_user("alice"));
  const crypto::SecretBytes before = data_key("alice", "alice");
  const std::string new_password = password("alice-renewed");
  ASSERT_OK(
      cli("alice", {"--password-stdin", "passwd"}, password("alice") + "\n" + new_password + "\n"));
  auto kept = crypto::kernel_keyring::load(key_name("alice", "alice"), 0s);
  ASSERT_TRUE(kept) << kept.status().to_string();
  EXPECT_FALSE(kept->equals(before.view())) << "the old data key stayed in the keyring";
  const auto keys = crypto::derive_password_keys("alice", new_password);
  auto after =
      crypto::unwrap_data_key(home("alice") + "/users/alice/keystore", "alice", keys.storage_key);
  ASSERT_TRUE(after);
  EXPECT_TRUE(kept->equals(after->view()));
  expect_no_key_in_session_file("alice", *after);
  ASSERT_OK(cli("alice", {"whoami"}));
}

// As in a container whose seccomp profile refuses keyctl (Docker's default does).
TEST_F(KeyringE2e, AKernelThatRefusesTheKeyringIsSaidSoAndTheFileModeWorks) {
  const auto refused = [&](const std::string& user, std::vector<std::string> env,
                           std::vector<std::string> args, const std::string& input = {}) {
    std::vector<std::string> argv = {"/usr/bin/env"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.insert(argv.end(),
                {FASTCHAT_NO_KEYCTL, client_binary(), "--server", address_, "--home", home(user)});
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, input, kCommandTimeout);
  };
  const RunResult register_refused =
      refused("alice", {}, {"--password-stdin", "register", "alice"}, password("alice") + "\n");
  EXPECT_EQ(register_refused.exit_code, 1) << register_refused.out;
  const std::string line = single_error_line(register_refused);
  EXPECT_NE(line.find("Operation not permitted"), std::string::npos) << line;
  EXPECT_NE(line.find("FASTCHAT_DATA_KEY_IN_FILE=1"), std::string::npos) << line;
  EXPECT_FALSE(fs::exists(home("alice") + "/session"));

  // Nothing reached the server: the account can still be made, in the file mode.
  ASSERT_OK(refused("alice", {"FASTCHAT_DATA_KEY_IN_FILE=1"},
                    {"--password-stdin", "register", "alice"}, password("alice") + "\n"));
  ASSERT_OK(refused("alice", {"FASTCHAT_DATA_KEY_IN_FILE=1"}, {"whoami"}));
  const std::string file = read_file(home("alice") + "/session");
  EXPECT_NE(file.find("data_key " + to_hex(data_key("alice", "alice").view())), std::string::npos);

  // Without the flag such a file cannot move into the keyring: said so, file untouched.
  const RunResult moved = refused("alice", {}, {"whoami"});
  EXPECT_EQ(moved.exit_code, 1) << moved.out;
  EXPECT_NE(single_error_line(moved).find("FASTCHAT_DATA_KEY_IN_FILE=1"), std::string::npos)
      << moved.err;
  EXPECT_EQ(read_file(home("alice") + "/session"), file);
  const RunResult unlock =
      refused("alice", {}, {"--password-stdin", "unlock"}, password("alice") + "\n");
  EXPECT_EQ(unlock.exit_code, 1) << unlock.out;
  single_error_line(unlock);
  EXPECT_FALSE(crypto::kernel_keyring::exists(key_name("alice", "alice")));
}

}  // namespace
}  // namespace fastchat::e2e
