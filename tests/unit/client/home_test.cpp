#include "client/home.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/test_files.h"
#include "temp_dir.h"

namespace fastchat::client {
namespace {

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

SavedSession sample() {
  SavedSession s;
  s.username = "alice";
  s.server = "[::1]:7600";
  static constexpr char kToken[] = "\x00\x01token\xff\n bytes";
  s.session_token = crypto::SecretBytes(std::string_view(kToken, sizeof kToken - 1));
  s.data_key = crypto::SecretBytes(std::string(32, '\x5a'));
  return s;
}

TEST(HomeLayoutTest, PathsUnderTheHome) {
  HomeLayout home("/h");
  EXPECT_EQ(home.session_file(), "/h/session");
  EXPECT_EQ(home.keystore("bob"), "/h/users/bob/keystore");
  EXPECT_EQ(home.history_db("bob"), "/h/users/bob/history.db");
  EXPECT_EQ(home.downloads("bob"), "/h/users/bob/downloads");
}

TEST(HomeLayoutTest, MakesPrivateDirectories) {
  testing::TempDir dir;
  const std::string deep = dir.file("a/b/c");
  ASSERT_TRUE(make_private_dirs(deep));
  EXPECT_EQ(mode_of(deep), 0700u);
  EXPECT_EQ(mode_of(dir.file("a")), 0700u);
  EXPECT_TRUE(make_private_dirs(deep));  // idempotent
  test_support::write_file(dir.file("plain"), "x");
  EXPECT_FALSE(make_private_dirs(dir.file("plain")));
}

TEST(SessionFileTest, RoundTripsWithMode0600) {
  testing::TempDir dir;
  const std::string path = dir.file("session");
  ASSERT_TRUE(save_session(path, sample()));
  EXPECT_EQ(mode_of(path), 0600u);
  auto loaded = load_session(path);
  ASSERT_TRUE(loaded) << loaded.status().to_string();
  EXPECT_EQ(loaded->username, "alice");
  EXPECT_EQ(loaded->server, "[::1]:7600");
  EXPECT_TRUE(loaded->session_token.equals(sample().session_token.view()));
  EXPECT_TRUE(loaded->data_key.equals(sample().data_key.view()));
}

TEST(SessionFileTest, AKeyReferenceRoundTripsInsteadOfTheKey) {
  testing::TempDir dir;
  const std::string path = dir.file("session");
  SavedSession by_ref = sample();
  by_ref.data_key = crypto::SecretBytes();
  by_ref.data_key_ref = "fastchat:data-key:alice:00ff";
  ASSERT_TRUE(save_session(path, by_ref));
  const std::string text = test_support::read_file(path);
  EXPECT_NE(text.find("\ndata_key_ref fastchat:data-key:alice:00ff\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("data_key "), std::string::npos) << text;
  auto loaded = load_session(path);
  ASSERT_TRUE(loaded) << loaded.status().to_string();
  EXPECT_TRUE(loaded->data_key.empty());
  EXPECT_EQ(loaded->data_key_ref, by_ref.data_key_ref);
  EXPECT_TRUE(loaded->session_token.equals(sample().session_token.view()));

  // Neither a key nor a reference (or one that is not a single printable word).
  SavedSession neither = sample();
  neither.data_key = crypto::SecretBytes();
  EXPECT_FALSE(save_session(path, neither));
  neither.data_key_ref = "two words";
  EXPECT_FALSE(save_session(path, neither));
  test_support::write_file(dir.file("no_key"),
                           "fastchat-session 1\nusername alice\nserver a:1\ntoken 00\n");
  EXPECT_EQ(load_session(dir.file("no_key")).code(), Code::kIo);
}

TEST(SessionFileTest, MissingIsNotFoundAndGarbageIsAnError) {
  testing::TempDir dir;
  auto missing = load_session(dir.file("session"));
  EXPECT_EQ(missing.code(), Code::kNotFound);

  test_support::write_file(dir.file("garbage"), "fastchat-session 1\nusername alice\ntoken zz\n");
  EXPECT_EQ(load_session(dir.file("garbage")).code(), Code::kIo);
  test_support::write_file(dir.file("other"), "something else\n");
  EXPECT_EQ(load_session(dir.file("other")).code(), Code::kIo);
  test_support::write_file(
      dir.file("badname"),
      "fastchat-session 1\nusername ../x\nserver a:1\ntoken 00\ndata_key 00\n");
  EXPECT_EQ(load_session(dir.file("badname")).code(), Code::kIo);
}

TEST(SessionFileTest, WipeRemovesIt) {
  testing::TempDir dir;
  const std::string path = dir.file("session");
  ASSERT_TRUE(save_session(path, sample()));
  ASSERT_TRUE(file_exists(path));
  ASSERT_TRUE(wipe_session(path));
  EXPECT_FALSE(file_exists(path));
  EXPECT_EQ(load_session(path).code(), Code::kNotFound);
  EXPECT_TRUE(wipe_session(path));  // nothing to wipe is fine
}

TEST(SessionFileTest, SavingReplacesTheOldSession) {
  testing::TempDir dir;
  const std::string path = dir.file("session");
  ASSERT_TRUE(save_session(path, sample()));
  SavedSession other = sample();
  other.username = "bob";
  ASSERT_TRUE(save_session(path, other));
  EXPECT_EQ(load_session(path)->username, "bob");
  EXPECT_EQ(mode_of(path), 0600u);
}

}  // namespace
}  // namespace fastchat::client
