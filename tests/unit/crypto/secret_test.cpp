#include "crypto/secret.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <thread>
#include <vector>

#include "crypto/sodium_init.h"

namespace fastchat::crypto {
namespace {

TEST(SecretBytesTest, HoldsTheBytesItWasGiven) {
  const SecretBytes zeros(4);
  EXPECT_EQ(zeros.size(), 4u);
  EXPECT_EQ(zeros.view(), std::string_view("\0\0\0\0", 4));
  const std::string binary("a\0b\xff", 4);
  const SecretBytes copy(binary);
  EXPECT_EQ(copy.view(), binary);
  EXPECT_TRUE(SecretBytes(std::string_view()).empty());
  EXPECT_TRUE(SecretBytes().empty());
}

TEST(SecretBytesTest, EqualsComparesContentAndLength) {
  const SecretBytes s(std::string_view("secret"));
  EXPECT_TRUE(s.equals("secret"));
  EXPECT_FALSE(s.equals("secreT"));
  EXPECT_FALSE(s.equals("Secret"));
  EXPECT_FALSE(s.equals("secre"));
  EXPECT_FALSE(s.equals("secrets"));
  EXPECT_FALSE(s.equals(""));
  EXPECT_TRUE(SecretBytes().equals(""));
  EXPECT_FALSE(SecretBytes().equals("x"));
}

TEST(SecretBytesTest, MovesLeaveTheSourceEmptyAndWipeTheTarget) {
  SecretBytes s(std::string_view("secret"));
  SecretBytes moved = std::move(s);
  EXPECT_TRUE(s.empty());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_TRUE(moved.equals("secret"));

  SecretBytes target(std::string_view("old value"));
  target = std::move(moved);
  EXPECT_TRUE(target.equals("secret"));
  EXPECT_TRUE(moved.empty());  // NOLINT(bugprone-use-after-move)

  SecretBytes& alias = target;
  target = std::move(alias);  // self-move keeps the value
  EXPECT_TRUE(target.equals("secret"));

  target.wipe();
  EXPECT_TRUE(target.empty());
  target.wipe();  // twice is fine
  EXPECT_TRUE(target.empty());
}

TEST(SodiumInitTest, ConcurrentFirstCallsAreSafe) {
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([] { ensure_sodium(); });
  }
  for (auto& t : threads)
    t.join();
  // sodium_init() returns 1 once libsodium is already initialised.
  EXPECT_EQ(sodium_init(), 1);
}

}  // namespace
}  // namespace fastchat::crypto
