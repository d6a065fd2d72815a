#include "crypto/keystore.h"

#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include "crypto/password.h"
#include "crypto_test_util.h"
#include "support/test_files.h"

namespace fastchat::crypto {
namespace {

using test_support::read_file;
using test_support::write_file;
using testing::file_mode;
using testing::ScratchDir;
using testing::shares_a_run;

// File layout (keystore.h): "FCKS" | 1 | wrap nonce(24) | wrapped data key(32 + 16) |
// nonce(24) | ciphertext of the 96-byte identity secret (+16).
constexpr std::size_t kWrapNonce = 5;
constexpr std::size_t kWrappedKey = kWrapNonce + 24;
constexpr std::size_t kBodyNonce = kWrappedKey + 48;
constexpr std::size_t kBody = kBodyNonce + 24;
constexpr std::size_t kFileSize = kBody + 96 + 16;

SecretBytes random_key() {
  SecretBytes key(32);
  randombytes_buf(key.data(), key.size());
  return key;
}

class KeystoreTest : public ::testing::Test {
 protected:
  ScratchDir dir_;
  std::string path_ = dir_.file("keystore");
  Identity identity_ = Identity::generate();
  SecretBytes storage_key_ = random_key();
};

TEST_F(KeystoreTest, SavesPrivatelyAndLoadsWithTheStorageKey) {
  SecretBytes data_key;
  ASSERT_TRUE(save_keystore(path_, "alice", identity_, storage_key_, &data_key));
  EXPECT_EQ(file_mode(path_), 0600u);
  EXPECT_EQ(data_key.size(), 32u);
  EXPECT_EQ(dir_.entries(), std::vector<std::string>{"keystore"});  // no temp files left

  auto loaded = load_keystore(path_, "alice", storage_key_);
  ASSERT_TRUE(loaded) << loaded.status().to_string();
  EXPECT_EQ(loaded->box_public_key(), identity_.box_public_key());
  EXPECT_EQ(loaded->sign_public_key(), identity_.sign_public_key());
  EXPECT_TRUE(loaded->serialize_secret().equals(identity_.serialize_secret().view()));

  auto by_data_key = load_keystore_with_data_key(path_, "alice", data_key);
  ASSERT_TRUE(by_data_key) << by_data_key.status().to_string();
  EXPECT_EQ(by_data_key->box_public_key(), identity_.box_public_key());
  auto unwrapped = unwrap_data_key(path_, "alice", storage_key_);
  ASSERT_TRUE(unwrapped);
  EXPECT_TRUE(unwrapped->equals(data_key.view()));
}

TEST_F(KeystoreTest, FileHasTheDocumentedLayoutAndNoSecretBytes) {
  SecretBytes data_key;
  ASSERT_TRUE(save_keystore(path_, "alice", identity_, storage_key_, &data_key));
  const std::string file = read_file(path_);
  ASSERT_EQ(file.size(), kFileSize);
  EXPECT_EQ(file.substr(0, 5), std::string("FCKS\x01", 5));
  // No 8-byte run of the private keys, the data key or the storage key is in the file.
  const SecretBytes secret = identity_.serialize_secret();
  EXPECT_FALSE(shares_a_run(file, secret.view(), 8));
  EXPECT_FALSE(shares_a_run(file, data_key.view(), 8));
  EXPECT_FALSE(shares_a_run(file, storage_key_.view(), 8));
  EXPECT_EQ(file.find("alice"), std::string::npos);  // authenticated, not stored
}

TEST_F(KeystoreTest, EverySaveUsesAFreshDataKeyAndNonces) {
  SecretBytes first_key, second_key;
  ASSERT_TRUE(save_keystore(path_, "alice", identity_, storage_key_, &first_key));
  const std::string first = read_file(path_);
  ASSERT_TRUE(save_keystore(path_, "alice", identity_, storage_key_, &second_key));
  const std::string second = read_file(path_);
  EXPECT_FALSE(first_key.equals(second_key.view()));
  EXPECT_NE(first.substr(kWrapNonce, 24), second.substr(kWrapNonce, 24));
  EXPECT_NE(first.substr(kBodyNonce, 24), second.substr(kBodyNonce, 24));
  EXPECT_EQ(load_keystore_with_data_key(path_, "alice", first_key).code(), Code::kCrypto);
  EXPECT_TRUE(load_keystore_with_data_key(path_, "alice", second_key));
}

TEST_F(KeystoreTest, WrongKeysAreRejected) {
  SecretBytes data_key;
  ASSERT_TRUE(save_keystore(path_, "alice", identity_, storage_key_, &data_key));
  const SecretBytes other = random_key();
  EXPECT_EQ(load_keystore(path_, "alice", other).code(), Code::kCrypto);
  EXPECT_EQ(unwrap_data_key(path_, "alice", other).code(), Code::kCrypto);
  EXPECT_EQ(load_keystore_with_data_key(path_, "alice", other).code(), Code::kCrypto);
  // The storage key is not the data key, and keys of the wrong size are refused.
  EXPECT_EQ(load_keystore_with_data_key(path_, "alice", storage_key_).code(), Code::kCrypto);
  EXPECT_EQ(load_keystore(path_, "alice", SecretBytes()).code(), Code::kCrypto);
  EXPECT_EQ(load_keystore(path_, "alice", SecretBytes(storage_key_.view().substr(0, 31))).code(),
            Code::kCrypto);
  EXPECT_EQ(load_keystore_with_data_key(path_, "alice", SecretBytes(16)).code(), Code::kCrypto);
}

TEST_F(KeystoreTest, KeystoreOfOneUserCannotBeOpenedAsAnother) {
  SecretBytes data_key;
  ASSERT_TRUE(save_keystore(path_, "alice", identity_, storage_key_, &data_key));
  for (const char* other : {"bob", "alice2", "alic", "Alice", ""}) {
    EXPECT_EQ(load_keystore(path_, other, storage_key_).code(), Code::kCrypto) << other;
    EXPECT_EQ(unwrap_data_key(path_, other, storage_key_).code(), Code::kCrypto) << other;
    EXPECT_EQ(load_keystore_with_data_key(path_, other, data_key).code(), Code::kCrypto) << other;
  }
}

TEST_F(KeystoreTest, MissingFileIsNotFound) {
  const std::string missing = dir_.file("missing");
  EXPECT_EQ(load_keystore(missing, "alice", storage_key_).code(), Code::kNotFound);
  EXPECT_EQ(unwrap_data_key(missing, "alice", storage_key_).code(), Code::kNotFound);
  EXPECT_EQ(load_keystore_with_data_key(missing, "alice", storage_key_).code(), Code::kNotFound);
  EXPECT_EQ(load_keystore(dir_.file("no-such-dir/keystore"), "alice", storage_key_).code(),
            Code::kNotFound);
}

TEST_F(KeystoreTest, UnreadablePathsAreIoErrors) {
  // A directory where the file should be.
  EXPECT_EQ(load_keystore(dir_.path(), "alice", storage_key_).code(), Code::kIo);
  // A path through a regular file.
  write_file(path_, "x");
  EXPECT_EQ(load_keystore(path_ + "/keystore", "alice", storage_key_).code(), Code::kIo);
  // Saving where no directory exists.
  EXPECT_EQ(
      save_keystore(dir_.file("no-such-dir/keystore"), "alice", identity_, storage_key_).code(),
      Code::kIo);
  if (::geteuid() != 0) {  // root reads everything
    ASSERT_TRUE(save_keystore(path_, "alice", identity_, storage_key_));
    ASSERT_EQ(::chmod(path_.c_str(), 0), 0);
    EXPECT_EQ(load_keystore(path_, "alice", storage_key_).code(), Code::kIo);
  }
}

TEST_F(KeystoreTest, EveryTamperedByteIsRejected) {
  ASSERT_TRUE(save_keystore(path_, "alice", identity_, storage_key_));
  const std::string good = read_file(path_);
  ASSERT_EQ(good.size(), kFileSize);
  const std::string tampered_path = dir_.file("tampered");
  // Magic, version, wrap nonce, wrapped key (+MAC), body nonce, body ciphertext, body MAC.
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string tampered = good;
    tampered[i] ^= 0x01;
    write_file(tampered_path, tampered);
    EXPECT_EQ(load_keystore(tampered_path, "alice", storage_key_).code(), Code::kCrypto)
        << "byte " << i;
  }
}

TEST_F(KeystoreTest, TruncatedExtendedOrForeignFilesAreRejected) {
  ASSERT_TRUE(save_keystore(path_, "alice", identity_, storage_key_));
  const std::string good = read_file(path_);
  const std::string other_path = dir_.file("other");
  for (std::size_t n = 0; n < good.size(); ++n) {
    write_file(other_path, good.substr(0, n));
    EXPECT_EQ(load_keystore(other_path, "alice", storage_key_).code(), Code::kCrypto)
        << "length " << n;
  }
  write_file(other_path, good + '\0');
  EXPECT_EQ(load_keystore(other_path, "alice", storage_key_).code(), Code::kCrypto);
  write_file(other_path, std::string(1 << 20, 'x'));  // large: read is bounded
  EXPECT_EQ(load_keystore(other_path, "alice", storage_key_).code(), Code::kCrypto);
  std::string future = good;
  future[4] = 2;  // an unknown keystore version
  write_file(other_path, future);
  EXPECT_EQ(load_keystore(other_path, "alice", storage_key_).code(), Code::kCrypto);
}

TEST_F(KeystoreTest, EmptyIdentityOrBadStorageKeyIsNotSaved) {
  EXPECT_EQ(save_keystore(path_, "alice", Identity(), storage_key_).code(), Code::kCrypto);
  EXPECT_EQ(save_keystore(path_, "alice", identity_, SecretBytes(16)).code(), Code::kCrypto);
  EXPECT_TRUE(dir_.entries().empty());
}

TEST_F(KeystoreTest, FullChainWithPasswordKeys) {
  // Two Argon2id runs: the one test that goes through real password-derived keys.
  const PasswordKeys right = derive_password_keys("alice", "correct horse");
  const PasswordKeys wrong = derive_password_keys("alice", "wrong horse");
  ASSERT_TRUE(save_keystore(path_, "alice", identity_, right.storage_key));
  EXPECT_EQ(load_keystore(path_, "alice", wrong.storage_key).code(), Code::kCrypto);
  // The auth key (sent to the server) does not open the keystore either.
  EXPECT_EQ(load_keystore(path_, "alice", right.auth_key).code(), Code::kCrypto);
  auto loaded = load_keystore(path_, "alice", right.storage_key);
  ASSERT_TRUE(loaded) << loaded.status().to_string();
  EXPECT_EQ(loaded->sign_public_key(), identity_.sign_public_key());
}

TEST(WritePrivateFileTest, ReplacesAtomicallyWithMode0600WhateverTheUmask) {
  ScratchDir dir;
  const std::string path = dir.file("file");
  write_file(path, "old content");
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  const mode_t old_umask = ::umask(0);
  const Status written = write_private_file(path, std::string("new\0content", 11));
  ::umask(old_umask);
  ASSERT_TRUE(written) << written.to_string();
  EXPECT_EQ(file_mode(path), 0600u);
  EXPECT_EQ(read_file(path), std::string("new\0content", 11));
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"file"});
  EXPECT_EQ(write_private_file(dir.file("missing/file"), "x").code(), Code::kIo);
}

TEST(WritePrivateFileTest, ConcurrentWritersLeaveOneWholeFile) {
  ScratchDir dir;
  const std::string path = dir.file("file");
  std::vector<std::string> contents;
  for (char c : {'a', 'b', 'c', 'd'})
    contents.emplace_back(4096, c);
  std::vector<std::thread> writers;
  for (const std::string& content : contents) {
    writers.emplace_back([&path, &content] {
      for (int i = 0; i < 5; ++i)
        EXPECT_TRUE(write_private_file(path, content));
    });
  }
  for (auto& w : writers)
    w.join();
  const std::string final_content = read_file(path);
  EXPECT_NE(std::find(contents.begin(), contents.end(), final_content), contents.end());
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"file"});
}

}  // namespace
}  // namespace fastchat::crypto
