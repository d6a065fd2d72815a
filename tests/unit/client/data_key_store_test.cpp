// The data key's place between processes, on the real kernel keyring of the user
// running the tests (each test's homes are fresh, so are the keys' names).
#include "client/data_key_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/hex.h"
#include "crypto/kernel_keyring.h"
#include "support/test_files.h"
#include "temp_dir.h"

namespace fastchat::client {
namespace {

using namespace std::chrono_literals;
using fastchat::test_support::read_file;

class DataKeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(check_data_key_store(keyring_)) << check_data_key_store(keyring_).to_string();
    key_ = crypto::SecretBytes(std::string("0123456789abcdef0123456789abcdef"));
  }
  void TearDown() override {
    EXPECT_TRUE(crypto::kernel_keyring::remove(data_key_name(home_.home(), "alice")));
  }

  SavedSession session() const {
    SavedSession s;
    s.username = "alice";
    s.server = "127.0.0.1:7600";
    s.session_token = crypto::SecretBytes(std::string(32, 't'));
    return s;
  }
  void expect_no_key_in(const std::string& path) const {
    const std::string text = read_file(path);
    EXPECT_EQ(text.find(key_.view()), std::string::npos) << path;
    EXPECT_EQ(text.find(to_hex(key_.view())), std::string::npos) << path;
    EXPECT_EQ(text.find("data_key "), std::string::npos) << text;
  }

  testing::TempDir dir_;
  HomeLayout home_{dir_.path()};
  DataKeyPolicy keyring_{.idle_timeout = 600s, .in_file = false};
  crypto::SecretBytes key_;
};

TEST_F(DataKeyStoreTest, TheKeyGoesToTheKeyringAndTheFileOnlyNamesIt) {
  ASSERT_TRUE(save_logged_in(home_, session(), key_, keyring_));
  expect_no_key_in(home_.session_file());
  EXPECT_NE(read_file(home_.session_file()).find(data_key_name(home_.home(), "alice")),
            std::string::npos);
  auto loaded = load_logged_in(home_, keyring_);
  ASSERT_TRUE(loaded) << loaded.status().to_string();
  EXPECT_TRUE(loaded->data_key.equals(key_.view()));
  EXPECT_TRUE(loaded->session_token.equals(std::string(32, 't')));
}

TEST_F(DataKeyStoreTest, AnOldFileMovesItsKeyIntoTheKeyring) {
  SavedSession old = session();
  old.data_key = crypto::SecretBytes(key_.view());
  ASSERT_TRUE(save_session(home_.session_file(), old));  // as clients before the keyring wrote it
  ASSERT_NE(read_file(home_.session_file()).find(to_hex(key_.view())), std::string::npos);

  auto loaded = load_logged_in(home_, keyring_);
  ASSERT_TRUE(loaded) << loaded.status().to_string();
  EXPECT_TRUE(loaded->data_key.equals(key_.view()));
  expect_no_key_in(home_.session_file());
  auto kept = crypto::kernel_keyring::load(data_key_name(home_.home(), "alice"), 0s);
  ASSERT_TRUE(kept);
  EXPECT_TRUE(kept->equals(key_.view()));
  auto again = load_logged_in(home_, keyring_);  // now from the keyring
  ASSERT_TRUE(again) << again.status().to_string();
  EXPECT_TRUE(again->data_key.equals(key_.view()));
}

TEST_F(DataKeyStoreTest, AGoneKeyIsLockedAndTheFileStays) {
  ASSERT_TRUE(save_logged_in(home_, session(), key_, keyring_));
  const std::string before = read_file(home_.session_file());
  ASSERT_TRUE(crypto::kernel_keyring::remove(data_key_name(home_.home(), "alice")));  // a reboot
  auto locked = load_logged_in(home_, keyring_);
  EXPECT_EQ(locked.code(), Code::kKeysLocked);
  EXPECT_NE(locked.status().message().find("password"), std::string::npos)
      << locked.status().message();
  EXPECT_EQ(read_file(home_.session_file()), before);
  // The password's unwrapped key put back: the same session goes on.
  ASSERT_TRUE(
      save_logged_in(home_, std::move(*load_session(home_.session_file())), key_, keyring_));
  auto unlocked = load_logged_in(home_, keyring_);
  ASSERT_TRUE(unlocked) << unlocked.status().to_string();
  EXPECT_TRUE(unlocked->session_token.equals(std::string(32, 't')));
}

TEST_F(DataKeyStoreTest, AKeyUnusedPastTheIdleTimeoutIsLocked) {
  const DataKeyPolicy brief{.idle_timeout = 1s, .in_file = false};
  ASSERT_TRUE(save_logged_in(home_, session(), key_, brief));
  const std::string name = data_key_name(home_.home(), "alice");
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (crypto::kernel_keyring::exists(name) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  auto locked = load_logged_in(home_, brief);
  EXPECT_EQ(locked.code(), Code::kKeysLocked);
  EXPECT_NE(locked.status().message().find("unused for 1 second"), std::string::npos)
      << locked.status().message();
}

TEST_F(DataKeyStoreTest, TwoHomesDoNotSeeEachOthersKey) {
  testing::TempDir other_dir;
  const HomeLayout other(other_dir.path());
  EXPECT_NE(data_key_name(home_.home(), "alice"), data_key_name(other.home(), "alice"));
  EXPECT_NE(data_key_name(home_.home(), "alice"), data_key_name(home_.home(), "bob"));
  // One home, however it is spelled, is one key.
  EXPECT_EQ(data_key_name(home_.home(), "alice"), data_key_name(home_.home() + "/./", "alice"));

  ASSERT_TRUE(save_logged_in(home_, session(), key_, keyring_));
  // The other home with a copy of this session file (keys are looked up by home).
  std::filesystem::copy_file(home_.session_file(), other.session_file());
  EXPECT_EQ(load_logged_in(other, keyring_).code(), Code::kKeysLocked);
  const crypto::SecretBytes other_key(std::string(32, 'o'));
  ASSERT_TRUE(save_logged_in(other, session(), other_key, keyring_));
  EXPECT_TRUE(load_logged_in(other, keyring_)->data_key.equals(other_key.view()));
  EXPECT_TRUE(load_logged_in(home_, keyring_)->data_key.equals(key_.view()));
  ASSERT_TRUE(forget_logged_in(other, "alice"));
  EXPECT_TRUE(load_logged_in(home_, keyring_)) << "forgetting one home's key left the other's";
}

TEST_F(DataKeyStoreTest, ForgettingRemovesTheKeyAndTheFile) {
  ASSERT_TRUE(save_logged_in(home_, session(), key_, keyring_));
  ASSERT_TRUE(forget_logged_in(home_, "alice"));
  EXPECT_FALSE(crypto::kernel_keyring::exists(data_key_name(home_.home(), "alice")));
  EXPECT_FALSE(file_exists(home_.session_file()));
  EXPECT_EQ(load_logged_in(home_, keyring_).code(), Code::kNotFound);
}

TEST_F(DataKeyStoreTest, TheFileModeKeepsTheKeyInTheFileOnly) {
  const DataKeyPolicy in_file{.idle_timeout = 600s, .in_file = true};
  ASSERT_TRUE(save_logged_in(home_, session(), key_, keyring_));
  ASSERT_TRUE(save_logged_in(home_, session(), key_, in_file));
  EXPECT_NE(read_file(home_.session_file()).find(to_hex(key_.view())), std::string::npos);
  EXPECT_FALSE(crypto::kernel_keyring::exists(data_key_name(home_.home(), "alice")));
  auto loaded = load_logged_in(home_, in_file);
  ASSERT_TRUE(loaded) << loaded.status().to_string();
  EXPECT_TRUE(loaded->data_key.equals(key_.view()));
  EXPECT_NE(read_file(home_.session_file()).find(to_hex(key_.view())), std::string::npos)
      << "the file mode does not move the key";
}

TEST(DataKeyPolicyTest, TheEnvironmentSetsTheTimeoutAndTheFileMode) {
  // ctest sets a short timeout for every test (tests/CMakeLists.txt): put it back after.
  const char* given = std::getenv("FASTCHAT_KEY_IDLE_TIMEOUT");
  const std::string kept = given ? given : "";
  ::unsetenv("FASTCHAT_DATA_KEY_IN_FILE");
  ::setenv("FASTCHAT_KEY_IDLE_TIMEOUT", "90", 1);
  DataKeyPolicy policy = data_key_policy_from_environment();
  EXPECT_EQ(policy.idle_timeout, 90s);
  EXPECT_FALSE(policy.in_file);
  ::setenv("FASTCHAT_KEY_IDLE_TIMEOUT", "soon", 1);
  ::setenv("FASTCHAT_DATA_KEY_IN_FILE", "1", 1);
  policy = data_key_policy_from_environment();
  EXPECT_EQ(policy.idle_timeout, std::chrono::seconds(30LL * 24 * 60 * 60));
  EXPECT_TRUE(policy.in_file);
  ::unsetenv("FASTCHAT_DATA_KEY_IN_FILE");
  ::unsetenv("FASTCHAT_KEY_IDLE_TIMEOUT");
  if (given) ::setenv("FASTCHAT_KEY_IDLE_TIMEOUT", kept.c_str(), 1);
}

}  // namespace
}  // namespace fastchat::client
