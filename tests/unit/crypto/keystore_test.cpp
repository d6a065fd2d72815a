#include "crypto/keystore.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "crypto/password.h"

namespace fastchat::crypto {
namespace {

class KeystoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    keys_ = new PasswordKeys(derive_password_keys("alice", "correct horse"));
    wrong_ = new PasswordKeys(derive_password_keys("alice", "wrong horse"));
  }
  static void TearDownTestSuite() {
    delete keys_;
    delete wrong_;
  }
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) / ("keystore-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "keystore").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static PasswordKeys* keys_;
  static PasswordKeys* wrong_;
  std::filesystem::path dir_;
  std::string path_;
};
PasswordKeys* KeystoreTest::keys_ = nullptr;
PasswordKeys* KeystoreTest::wrong_ = nullptr;

TEST_F(KeystoreTest, SavesPrivatelyAndLoadsWithThePassword) {
  const Identity identity = Identity::generate();
  SecretBytes data_key;
  ASSERT_TRUE(save_keystore(path_, "alice", identity, keys_->storage_key, &data_key));
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto loaded = load_keystore(path_, "alice", keys_->storage_key);
  ASSERT_TRUE(loaded) << loaded.status().to_string();
  EXPECT_EQ(loaded->box_public_key(), identity.box_public_key());
  EXPECT_EQ(loaded->sign_public_key(), identity.sign_public_key());

  auto by_data_key = load_keystore_with_data_key(path_, "alice", data_key);
  ASSERT_TRUE(by_data_key);
  EXPECT_EQ(by_data_key->box_public_key(), identity.box_public_key());
  auto unwrapped = unwrap_data_key(path_, "alice", keys_->storage_key);
  ASSERT_TRUE(unwrapped);
  EXPECT_TRUE(unwrapped->equals(data_key.view()));
}

TEST_F(KeystoreTest, WrongPasswordOtherAccountAndMissingFileFail) {
  const Identity identity = Identity::generate();
  ASSERT_TRUE(save_keystore(path_, "alice", identity, keys_->storage_key));
  EXPECT_EQ(load_keystore(path_, "alice", wrong_->storage_key).code(), Code::kCrypto);
  EXPECT_EQ(load_keystore(path_, "bob", keys_->storage_key).code(), Code::kCrypto);
  EXPECT_EQ(load_keystore(path_ + ".missing", "alice", keys_->storage_key).code(), Code::kNotFound);
}

TEST_F(KeystoreTest, FileHoldsNoPrivateKeyBytesAndDetectsTampering) {
  const Identity identity = Identity::generate();
  ASSERT_TRUE(save_keystore(path_, "alice", identity, keys_->storage_key));
  std::ifstream in(path_, std::ios::binary);
  std::string file((std::istreambuf_iterator<char>(in)), {});
  const std::string box_sk(identity.box_secret_key().view());
  const std::string sign_sk(identity.sign_secret_key().view().substr(0, 32));  // the seed
  EXPECT_EQ(file.find(box_sk), std::string::npos);
  EXPECT_EQ(file.find(sign_sk), std::string::npos);

  file[file.size() - 5] ^= 1;
  ASSERT_TRUE(write_private_file(path_, file));
  EXPECT_EQ(load_keystore(path_, "alice", keys_->storage_key).code(), Code::kCrypto);
  ASSERT_TRUE(write_private_file(path_, "garbage"));
  EXPECT_EQ(load_keystore(path_, "alice", keys_->storage_key).code(), Code::kCrypto);
}

}  // namespace
}  // namespace fastchat::crypto
