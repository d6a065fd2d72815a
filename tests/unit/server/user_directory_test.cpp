#include "server/user_directory.h"

#include <gtest/gtest.h>

#include "server/directory_cache.h"

namespace fastchat::server {
namespace {

TEST(UserDirectoryTest, RemembersBothDirections) {
  UserDirectory directory;
  EXPECT_FALSE(directory.find("alice"));
  directory.remember(7, "alice");
  EXPECT_EQ(directory.find("alice"), 7);
  EXPECT_EQ(directory.name_of(7), "alice");
  EXPECT_FALSE(directory.name_of(8));
}

TEST(UserDirectoryTest, StaysBounded) {
  UserDirectory directory(3);
  for (UserId id = 1; id <= 10; ++id)
    directory.remember(id, "u" + std::to_string(id));
  int found = 0;
  for (UserId id = 1; id <= 10; ++id)
    found += directory.find("u" + std::to_string(id)) ? 1 : 0;
  EXPECT_LE(found, 3);
  EXPECT_EQ(directory.find("u10"), 10);  // the newest entry is always there
}

TEST(DirectoryCacheTest, RemembersWhatItWasToldAndStaysBounded) {
  DirectoryCache cache(3);
  EXPECT_FALSE(cache.find("alice"));
  cache.remember(7, "alice");
  EXPECT_EQ(cache.find("alice"), 7);
  for (UserId id = 1; id <= 10; ++id)
    cache.remember(id, "u" + std::to_string(id));
  EXPECT_LE(cache.size(), 3u);
  EXPECT_EQ(cache.find("u10"), 10);  // the newest entry is always there
}

}  // namespace
}  // namespace fastchat::server
