#include "crypto/device_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "crypto/keystore.h"

namespace fastchat::crypto {
namespace {

namespace fs = std::filesystem;

class DeviceKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("fastchat-device-key-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path() const { return (dir_ / "device.key").string(); }

  fs::path dir_;
};

TEST_F(DeviceKeyTest, IsMadeOnceThenLoaded) {
  auto made = load_or_create_device_key(path());
  ASSERT_TRUE(made) << made.status().to_string();
  EXPECT_EQ(made->public_key.size(), kDevicePublicKeyBytes);
  struct stat st {};
  ASSERT_EQ(::stat(path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto loaded = load_or_create_device_key(path());
  ASSERT_TRUE(loaded) << loaded.status().to_string();
  EXPECT_EQ(loaded->public_key, made->public_key);
  EXPECT_TRUE(loaded->secret_key.equals(made->secret_key.view()));
  EXPECT_NE(new_device_key().public_key, made->public_key);
}

TEST_F(DeviceKeyTest, AMalformedFileIsAnErrorNotANewKey) {
  ASSERT_TRUE(write_private_file(path(), "FCDK\x01too short"));
  auto loaded = load_or_create_device_key(path());
  EXPECT_EQ(loaded.code(), Code::kIo);
  ASSERT_TRUE(write_private_file(path(), std::string("XXXX\x01") + std::string(32, 'k')));
  EXPECT_EQ(load_or_create_device_key(path()).code(), Code::kIo);
}

TEST(DeviceIdTest, IsStablePerKeyAndNeverZero) {
  const auto a = new_device_key();
  const auto b = new_device_key();
  EXPECT_EQ(device_id_of(a.public_key), device_id_of(a.public_key));
  EXPECT_NE(device_id_of(a.public_key), device_id_of(b.public_key));
  EXPECT_NE(device_id_of(""), 0u);
}

TEST(ResumeProofTest, VerifiesOnlyForItsDeviceUserNonceAndBinding) {
  const auto device = new_device_key();
  const std::string nonce = new_login_nonce();
  const std::string binding(32, 'x');
  const std::string proof = sign_resume(device, "alice", nonce, binding);
  EXPECT_TRUE(verify_resume(device.public_key, proof, "alice", nonce, binding));
  EXPECT_FALSE(verify_resume(new_device_key().public_key, proof, "alice", nonce, binding));
  EXPECT_FALSE(verify_resume(device.public_key, proof, "bob", nonce, binding));
  EXPECT_FALSE(verify_resume(device.public_key, proof, "alice", new_login_nonce(), binding));
  EXPECT_FALSE(verify_resume(device.public_key, proof, "alice", nonce, ""));
  EXPECT_FALSE(verify_resume(device.public_key, "", "alice", nonce, binding));
  EXPECT_FALSE(verify_resume("", proof, "alice", nonce, binding));
  // Its own domain: a login proof by the same key is no resume proof, and back.
  EXPECT_FALSE(verify_resume(device.public_key, sign_login(device, "alice", nonce, binding),
                             "alice", nonce, binding));
  EXPECT_FALSE(verify_login(device.public_key, proof, "alice", nonce, binding));
}

TEST(SessionIdTest, IsNeverZero) {
  for (int i = 0; i < 1000; ++i)
    EXPECT_NE(random_session_id(), 0u);
}

}  // namespace
}  // namespace fastchat::crypto
