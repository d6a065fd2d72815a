#include "crypto/server_auth.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

namespace fastchat::crypto {
namespace {

TEST(ServerAuthTest, VerifierChecksOnlyTheRightKeyAndDependsOnTheSecret) {
  ServerAuth auth(SecretBytes(std::string(32, 'k')));
  ServerAuth other(SecretBytes(std::string(32, 'j')));
  const std::string key(32, 'a');
  const std::string verifier = auth.auth_verifier("alice", key);
  EXPECT_EQ(verifier.size(), 32u);
  EXPECT_EQ(verifier.find(key), std::string::npos);
  EXPECT_TRUE(auth.check_auth_key("alice", key, verifier));
  EXPECT_FALSE(auth.check_auth_key("alice", std::string(32, 'b'), verifier));
  EXPECT_FALSE(auth.check_auth_key("alicf", key, verifier));
  EXPECT_FALSE(auth.check_auth_key("alice", key, verifier.substr(1)));
  EXPECT_NE(other.auth_verifier("alice", key), verifier);
}

TEST(ServerAuthTest, TokensAreRandomAndStoredHashed) {
  ServerAuth auth(SecretBytes(std::string(32, 'k')));
  const std::string t1 = ServerAuth::new_session_token();
  const std::string t2 = ServerAuth::new_session_token();
  EXPECT_EQ(t1.size(), 32u);
  EXPECT_NE(t1, t2);
  EXPECT_EQ(auth.token_hash(t1), auth.token_hash(t1));
  EXPECT_NE(auth.token_hash(t1), auth.token_hash(t2));
  EXPECT_NE(auth.token_hash(t1), t1);
}

TEST(ServerAuthTest, SecretFileIsCreatedPrivatelyOnceAndReloaded) {
  const auto dir =
      std::filesystem::path(::testing::TempDir()) / ("secret-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "server.key").string();
  auto first = ServerAuth::load_or_create_secret(path);
  ASSERT_TRUE(first);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto second = ServerAuth::load_or_create_secret(path);
  ASSERT_TRUE(second);
  EXPECT_TRUE(first->equals(second->view()));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace fastchat::crypto
