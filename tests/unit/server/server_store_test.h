// ServerStoreTest: a fixture with the real SQLite store in a fresh directory, for tests
// of server parts that write through a store (committer, sweeper).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "store/open_store.h"

namespace fastchat::server {

class ServerStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("server-store-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto store = store::open_store("", dir_.string());
    ASSERT_TRUE(store) << store.status().to_string();
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  UserId make_user(const std::string& name) {
    store::NewUser user;
    user.username = name;
    user.auth_verifier = std::string(32, 'v');
    user.identity = {std::string(32, 's'), std::string(32, 'b'), std::string(64, 'g')};
    auto id = store_->create_user(user);
    EXPECT_TRUE(id) << id.status().to_string();
    return id ? *id : 0;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
};

}  // namespace fastchat::server
