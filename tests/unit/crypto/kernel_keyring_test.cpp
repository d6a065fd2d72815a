// The real kernel keyring of the user running the tests (no mock): each test's keys
// have a random name and are removed at the end.
#include "crypto/kernel_keyring.h"

#include <gtest/gtest.h>
#include <keyutils.h>
#include <sodium.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/hex.h"

namespace fastchat::crypto {
namespace {

using namespace std::chrono_literals;

class KernelKeyringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(kernel_keyring::probe()) << kernel_keyring::probe().to_string();
    unsigned char random[8];
    randombytes_buf(random, sizeof random);
    name_ = "fastchat-test:kernel-keyring:" + to_hex(random);
  }
  void TearDown() override { EXPECT_TRUE(kernel_keyring::remove(name_)); }

  // The key's line of /proc/keys: "serial flags usage timeout perm uid gid type desc: ...".
  std::string proc_keys_line() const {
    const long serial = keyctl_search(KEY_SPEC_USER_KEYRING, "user", name_.c_str(), 0);
    if (serial < 0) return {};
    char id[32];
    std::snprintf(id, sizeof id, "%08lx ", serial);
    std::ifstream keys("/proc/keys");
    for (std::string line; std::getline(keys, line);) {
      if (line.starts_with(id)) return line;
    }
    return {};
  }
  std::string proc_keys_field(int index) const {
    std::istringstream fields(proc_keys_line());
    std::string field;
    for (int i = 0; i <= index && fields >> field; ++i) {
    }
    return field;
  }

  std::string name_;
};

TEST_F(KernelKeyringTest, StoresLoadsAndRemoves) {
  const SecretBytes secret(std::string("\x00\x01 thirty-two bytes of a key \xff\n", 32));
  EXPECT_EQ(kernel_keyring::load(name_, 0s).code(), Code::kNotFound);
  EXPECT_FALSE(kernel_keyring::exists(name_));
  ASSERT_TRUE(kernel_keyring::store(name_, secret, 60s));
  EXPECT_TRUE(kernel_keyring::exists(name_));
  auto loaded = kernel_keyring::load(name_, 60s);
  ASSERT_TRUE(loaded) << loaded.status().to_string();
  EXPECT_TRUE(loaded->equals(secret.view()));
  ASSERT_TRUE(kernel_keyring::remove(name_));
  EXPECT_FALSE(kernel_keyring::exists(name_));
  EXPECT_EQ(kernel_keyring::load(name_, 60s).code(), Code::kNotFound);
  EXPECT_TRUE(kernel_keyring::remove(name_));  // nothing to remove is fine
}

TEST_F(KernelKeyringTest, StoringAgainReplacesTheSecret) {
  ASSERT_TRUE(kernel_keyring::store(name_, SecretBytes(std::string(32, 'a')), 60s));
  ASSERT_TRUE(kernel_keyring::store(name_, SecretBytes(std::string(32, 'b')), 60s));
  auto loaded = kernel_keyring::load(name_, 60s);
  ASSERT_TRUE(loaded);
  EXPECT_TRUE(loaded->equals(std::string(32, 'b')));
}

TEST_F(KernelKeyringTest, OnlyThePossessorAndTheOwnerHaveAnyPermission) {
  ASSERT_TRUE(kernel_keyring::store(name_, SecretBytes(std::string(32, 'k')), 60s));
  const std::string perm = proc_keys_field(4);
  ASSERT_EQ(perm.size(), 8u) << proc_keys_line();
  const unsigned long bits = std::strtoul(perm.c_str(), nullptr, 16);
  EXPECT_EQ(bits & 0x0000ffffUL, 0u) << "group or other may do something: " << perm;
  EXPECT_NE(bits & KEY_USR_READ, 0u) << perm;
  EXPECT_NE(bits & KEY_POS_READ, 0u) << perm;
  EXPECT_EQ(bits & (KEY_POS_LINK | KEY_USR_LINK), 0u) << perm;
}

TEST_F(KernelKeyringTest, ALoadStartsTheIdleTimeoutAgain) {
  ASSERT_TRUE(kernel_keyring::store(name_, SecretBytes(std::string(32, 'k')), 30s));
  const std::string before = proc_keys_field(3);
  EXPECT_TRUE(before.ends_with('s')) << proc_keys_line();  // under a minute left
  ASSERT_TRUE(kernel_keyring::load(name_, 2h));
  const std::string after = proc_keys_field(3);
  EXPECT_TRUE(after.ends_with('h') || after.ends_with('m')) << proc_keys_line();
  ASSERT_TRUE(kernel_keyring::load(name_, 0s));  // no refresh asked: unchanged
  EXPECT_EQ(proc_keys_field(3).back(), after.back());
}

TEST_F(KernelKeyringTest, AKeyUnusedPastItsIdleTimeoutIsGone) {
  ASSERT_TRUE(kernel_keyring::store(name_, SecretBytes(std::string(32, 'k')), 1s));
  // The kernel expires the key by its clock; wait for that, bounded.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (kernel_keyring::exists(name_) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_FALSE(kernel_keyring::exists(name_));
  EXPECT_EQ(kernel_keyring::load(name_, 60s).code(), Code::kNotFound);
}

// Some PAM setups and containers give a process a session keyring that does not link
// the user keyring: keys found in @u are then not "possessed", only the owner's.
TEST_F(KernelKeyringTest, WorksWhereTheSessionKeyringDoesNotLinkTheUserKeyring) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (keyctl_join_session_keyring(nullptr) < 0) ::_exit(10);  // a new, empty one
    const std::string user_keyring = "_uid." + std::to_string(::getuid());
    if (keyctl_search(KEY_SPEC_SESSION_KEYRING, "keyring", user_keyring.c_str(), 0) >= 0) {
      ::_exit(11);
    }
    if (!kernel_keyring::store(name_, SecretBytes(std::string(32, 'c')), 60s)) ::_exit(12);
    auto loaded = kernel_keyring::load(name_, 60s);
    if (!loaded || !loaded->equals(std::string(32, 'c'))) ::_exit(13);
    if (!kernel_keyring::store(name_, SecretBytes(std::string(32, 'd')), 60s)) ::_exit(14);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the step that failed: see the _exit codes above";
  auto loaded = kernel_keyring::load(name_, 60s);  // another process of the user sees it
  ASSERT_TRUE(loaded) << loaded.status().to_string();
  EXPECT_TRUE(loaded->equals(std::string(32, 'd')));
  const std::string perm = proc_keys_field(4);
  EXPECT_EQ(std::strtoul(perm.c_str(), nullptr, 16) & 0x0000ffffUL, 0u) << perm;
}

TEST_F(KernelKeyringTest, RefusesEmptyAndOversizedSecrets) {
  EXPECT_EQ(kernel_keyring::store(name_, SecretBytes(), 60s).code(), Code::kInternal);
  EXPECT_EQ(
      kernel_keyring::store(name_, SecretBytes(kernel_keyring::kMaxSecretBytes + 1), 60s).code(),
      Code::kInternal);
  EXPECT_FALSE(kernel_keyring::exists(name_));
}

}  // namespace
}  // namespace fastchat::crypto
