#include "tls/known_hosts.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "test_dir.h"

namespace fastchat::tls {
namespace {

TEST(KnownHostsTest, PinsAreAddedReplacedAndKeptPrivate) {
  test::TestDir dir;
  const std::string file = dir.file("known_hosts");
  EXPECT_FALSE(find_pin(file, "a:1"));
  ASSERT_TRUE(save_pin(file, "a:1", "SHA256:one"));
  ASSERT_TRUE(save_pin(file, "b:2", "SHA256:two"));
  ASSERT_TRUE(save_pin(file, "a:1", "SHA256:three"));
  EXPECT_EQ(find_pin(file, "a:1"), "SHA256:three");
  EXPECT_EQ(find_pin(file, "b:2"), "SHA256:two");
  EXPECT_FALSE(find_pin(file, "a:2"));
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

}  // namespace
}  // namespace fastchat::tls
