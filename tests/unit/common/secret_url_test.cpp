// Where servers take URLs that may hold passwords: never from the command line.
#include "common/secret_url.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fastchat {
namespace {

TEST(SecretUrl, FindsPasswordsInEveryForm) {
  EXPECT_TRUE(url_has_password("redis://app:s3cret@10.0.0.5:6379"));
  EXPECT_TRUE(url_has_password("redis://:s3cret@10.0.0.5:6379/2"));
  EXPECT_TRUE(url_has_password("postgresql://app:s3cret@db/fastchat?sslmode=verify-full"));
  EXPECT_TRUE(url_has_password("postgresql://app@db/fastchat?sslmode=require&password=s3cret"));
  EXPECT_TRUE(url_has_password("host=db user=app password=s3cret"));
  EXPECT_FALSE(url_has_password("redis://10.0.0.5:6379"));
  EXPECT_FALSE(url_has_password("postgresql://app@db:5432/fastchat?sslmode=verify-full"));
  EXPECT_FALSE(url_has_password("postgresql://app@[::1]:5432/fastchat"));
  EXPECT_FALSE(url_has_password("host=db user=app passwordless=1"));
}

class SecretUrlSourcesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("secret-url-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    ::unsetenv(kEnv);
  }
  void TearDown() override {
    ::unsetenv(kEnv);
    std::filesystem::remove_all(dir_);
  }
  std::string write(const std::string& text, mode_t mode) {
    const std::string path = (dir_ / "url").string();
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
    return path;
  }
  static constexpr const char* kEnv = "FASTCHAT_TEST_SECRET_URL";
  SecretUrlSources sources_{.option = "--redis", .env_name = kEnv};
  std::filesystem::path dir_;
};

TEST_F(SecretUrlSourcesTest, APasswordOnTheCommandLineIsRefusedAndTheMessageSaysWhereToPutIt) {
  sources_.command_line = "redis://app:s3cret@127.0.0.1:6379";
  auto url = resolve_secret_url(sources_);
  ASSERT_FALSE(url);
  EXPECT_EQ(url.code(), Code::kBadRequest);
  EXPECT_NE(url.status().message().find("--redis-file"), std::string::npos);
  EXPECT_NE(url.status().message().find(kEnv), std::string::npos);
  EXPECT_EQ(url.status().message().find("s3cret"), std::string::npos) << "never echo the password";
}

TEST_F(SecretUrlSourcesTest, ACommandLineUrlWithoutPasswordIsUsed) {
  sources_.command_line = "redis://127.0.0.1:6379";
  auto url = resolve_secret_url(sources_);
  ASSERT_TRUE(url) << url.status().to_string();
  EXPECT_EQ(*url, "redis://127.0.0.1:6379");
}

TEST_F(SecretUrlSourcesTest, APrivateFileGivesItsFirstLine) {
  sources_.file = write("redis://app:s3cret@127.0.0.1:6379\nignored\n", 0600);
  auto url = resolve_secret_url(sources_);
  ASSERT_TRUE(url) << url.status().to_string();
  EXPECT_EQ(*url, "redis://app:s3cret@127.0.0.1:6379");
}

TEST_F(SecretUrlSourcesTest, AFileOthersCanReadIsRefused) {
  sources_.file = write("redis://app:s3cret@127.0.0.1:6379\n", 0644);
  auto url = resolve_secret_url(sources_);
  ASSERT_FALSE(url);
  EXPECT_NE(url.status().message().find("chmod 600"), std::string::npos);
}

TEST_F(SecretUrlSourcesTest, AMissingOrEmptyFileIsAnError) {
  sources_.file = (dir_ / "none").string();
  EXPECT_EQ(resolve_secret_url(sources_).code(), Code::kIo);
  sources_.file = write("\n", 0600);
  EXPECT_EQ(resolve_secret_url(sources_).code(), Code::kBadRequest);
}

TEST_F(SecretUrlSourcesTest, TheEnvironmentMayHoldAPassword) {
  ::setenv(kEnv, "redis://app:s3cret@127.0.0.1:6379", 1);
  auto url = resolve_secret_url(sources_);
  ASSERT_TRUE(url) << url.status().to_string();
  EXPECT_EQ(*url, "redis://app:s3cret@127.0.0.1:6379");
}

TEST_F(SecretUrlSourcesTest, TwoSourcesAtOnceAreRefused) {
  ::setenv(kEnv, "redis://127.0.0.1:6379", 1);
  sources_.command_line = "redis://127.0.0.1:6380";
  EXPECT_EQ(resolve_secret_url(sources_).code(), Code::kBadRequest);
}

TEST_F(SecretUrlSourcesTest, NoSourceGivesAnEmptyUrl) {
  auto url = resolve_secret_url(sources_);
  ASSERT_TRUE(url);
  EXPECT_TRUE(url->empty());
}

}  // namespace
}  // namespace fastchat
