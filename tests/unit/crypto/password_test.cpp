#include "crypto/password.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <string>

#include "common/hex.h"

namespace fastchat::crypto {
namespace {

// Argon2id is ~100 ms per run (more on a loaded machine): this suite runs five.
class PasswordTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    alice_ = new PasswordKeys(derive_password_keys("alice", "pw"));
    alice_again_ = new PasswordKeys(derive_password_keys("alice", "pw"));
    bob_ = new PasswordKeys(derive_password_keys("bob", "pw"));
    alice_other_ = new PasswordKeys(derive_password_keys("alice", "pw2"));
  }
  static void TearDownTestSuite() {
    for (PasswordKeys** keys : {&alice_, &alice_again_, &bob_, &alice_other_}) {
      delete *keys;
      *keys = nullptr;
    }
  }

  static PasswordKeys* alice_;
  static PasswordKeys* alice_again_;
  static PasswordKeys* bob_;
  static PasswordKeys* alice_other_;
};
PasswordKeys* PasswordTest::alice_ = nullptr;
PasswordKeys* PasswordTest::alice_again_ = nullptr;
PasswordKeys* PasswordTest::bob_ = nullptr;
PasswordKeys* PasswordTest::alice_other_ = nullptr;

TEST_F(PasswordTest, KeysAre32BytesAndIndependent) {
  EXPECT_EQ(alice_->auth_key.size(), 32u);
  EXPECT_EQ(alice_->storage_key.size(), 32u);
  EXPECT_FALSE(alice_->auth_key.equals(alice_->storage_key.view()));
}

TEST_F(PasswordTest, DeterministicPerUsernameAndPassword) {
  EXPECT_TRUE(alice_->auth_key.equals(alice_again_->auth_key.view()));
  EXPECT_TRUE(alice_->storage_key.equals(alice_again_->storage_key.view()));
}

TEST_F(PasswordTest, OtherUsernameOrPasswordGivesOtherKeys) {
  for (const PasswordKeys* other : {bob_, alice_other_}) {
    EXPECT_FALSE(alice_->auth_key.equals(other->auth_key.view()));
    EXPECT_FALSE(alice_->storage_key.equals(other->storage_key.view()));
    EXPECT_FALSE(alice_->auth_key.equals(other->storage_key.view()));
  }
  EXPECT_FALSE(bob_->auth_key.equals(alice_other_->auth_key.view()));
}

// The derivation as documented in password.h, spelled out with raw libsodium calls.
TEST_F(PasswordTest, FollowsTheDocumentedDerivation) {
  const std::string salt_input = "fastchat/auth/v1alice";
  unsigned char salt[crypto_pwhash_SALTBYTES];
  ASSERT_EQ(sizeof salt, 16u);
  crypto_generichash(salt, sizeof salt, reinterpret_cast<const unsigned char*>(salt_input.data()),
                     salt_input.size(), nullptr, 0);
  SecretBytes master(32);
  ASSERT_EQ(
      crypto_pwhash(master.data(), master.size(), "pw", 2, salt, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                    crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13),
      0);
  SecretBytes auth(32), storage(32);
  crypto_kdf_derive_from_key(auth.data(), auth.size(), 1, "fcauth01", master.data());
  crypto_kdf_derive_from_key(storage.data(), storage.size(), 1, "fcstor01", master.data());
  EXPECT_TRUE(alice_->auth_key.equals(auth.view()));
  EXPECT_TRUE(alice_->storage_key.equals(storage.view()));
}

// Pinned output: if libsodium's interactive limits or anything in the derivation ever
// change, every existing account would be locked out. This test says so first.
TEST_F(PasswordTest, KnownAnswer) {
  EXPECT_EQ(to_hex(alice_->auth_key.view()),
            "509f7769bdc87037d10374a433962dc7a8c92ac37006c638c7d76bd29044b363");
  EXPECT_EQ(to_hex(alice_->storage_key.view()),
            "f55308d2a0fd1618c972bb3f43f3d22d5d03e9f2aa5362e50089fef85a34b161");
}

}  // namespace
}  // namespace fastchat::crypto
