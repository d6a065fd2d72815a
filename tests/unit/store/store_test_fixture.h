// StoreTest: the fixture of the backend-neutral Store suites, parameterized over
// store_backends(), with helpers that build users, groups and messages.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "store/store.h"
#include "store_backends.h"

namespace fastchat::store::test {

inline constexpr std::int64_t kNow = 1'700'000'000'000;

class StoreTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    env_ = GetParam().make_env();
    reopen();
  }

  // Closes the store (if open) and opens the same database again.
  void reopen() {
    store_.reset();
    auto opened = env_->open();
    ASSERT_TRUE(opened) << opened.status().to_string();
    store_ = std::move(opened).value();
  }

  Store& store() { return *store_; }

  // Another store on the same database, open beside store() (two servers of a cluster).
  std::unique_ptr<Store> open_another() {
    auto opened = env_->open();
    EXPECT_TRUE(opened) << opened.status().to_string();
    return opened ? std::move(opened).value() : nullptr;
  }

  static NewUser new_user(const std::string& name) {
    NewUser user;
    user.username = name;
    user.auth_verifier = "verifier:" + name + std::string("\0\xff", 2);  // binary-safe
    user.identity.sign_public_key = "sign:" + name;
    user.identity.box_public_key = "box:" + name;
    user.identity.signature = "sig:" + name;
    user.created_ms = kNow;
    return user;
  }

  UserId add_user(const std::string& name) {
    auto id = store().create_user(new_user(name));
    EXPECT_TRUE(id) << name << ": " << id.status().to_string();
    return id ? *id : 0;
  }

  GroupId add_group(UserId creator, std::vector<UserId> members, const std::string& name = "g") {
    auto group = store().create_group(name, creator, members);
    EXPECT_TRUE(group) << group.status().to_string();
    return group ? group->id : 0;
  }

  static OutgoingMessage direct(UserId from, UserId to, const std::string& body) {
    OutgoingMessage message;
    message.sender = from;
    message.message_id = MessageId::random();
    message.to_user = to;
    message.body = body;
    message.server_time_ms = kNow;
    return message;
  }

  // A group message with a key wrap "key-for-<id>" for each of `wrapped`.
  static OutgoingMessage to_group(UserId from, GroupId group, const std::string& body,
                                  std::initializer_list<UserId> wrapped) {
    OutgoingMessage message;
    message.sender = from;
    message.message_id = MessageId::random();
    message.group_id = group;
    message.body = body;
    message.server_time_ms = kNow;
    for (UserId user : wrapped)
      message.key_wraps.push_back({user, wrap_for(user)});
    return message;
  }

  static std::string wrap_for(UserId user) { return "key-for-" + std::to_string(user); }

  std::vector<CommitOutcome> commit(const std::vector<OutgoingMessage>& messages) {
    auto outcomes = store().commit_messages(messages);
    EXPECT_TRUE(outcomes) << outcomes.status().to_string();
    if (!outcomes) return {};
    EXPECT_EQ(outcomes->size(), messages.size());
    return std::move(outcomes).value();
  }

  CommitOutcome commit_one(const OutgoingMessage& message) {
    auto outcomes = commit({message});
    return outcomes.empty() ? CommitOutcome{} : outcomes.front();
  }

  std::vector<InboxItem> inbox(UserId user, std::uint64_t after_seq = 0, std::size_t limit = 1000) {
    auto items = store().read_inbox(user, after_seq, limit);
    EXPECT_TRUE(items) << items.status().to_string();
    return items ? std::move(items).value() : std::vector<InboxItem>{};
  }

  static std::vector<std::uint64_t> seqs(const std::vector<InboxItem>& items) {
    std::vector<std::uint64_t> out;
    for (const auto& item : items)
      out.push_back(item.seq);
    return out;
  }

  static std::vector<std::string> bodies(const std::vector<InboxItem>& items) {
    std::vector<std::string> out;
    for (const auto& item : items)
      out.push_back(item.body);
    return out;
  }

  std::uint64_t last_seq(UserId user) {
    auto record = store().find_user_by_id(user);
    EXPECT_TRUE(record) << record.status().to_string();
    return record ? record->last_seq : 0;
  }

 private:
  std::unique_ptr<TestStoreEnv> env_;
  std::unique_ptr<Store> store_;
};

inline std::string backend_name(const ::testing::TestParamInfo<StoreBackend>& info) {
  return info.param.name;
}

}  // namespace fastchat::store::test
