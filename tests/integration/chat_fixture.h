// ChatTest: running in-process servers (one, or a cluster: test_cluster.h) plus test
// users with real keys. A user's keys are derived (Argon2id, ~100 ms) the first time a
// test of the process asks for that name, then reused; each test registers the users
// it needs on its own fresh servers.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "raw_client.h"
#include "support/test_passwords.h"
#include "test_cluster.h"
#include "test_server.h"
#include "test_user.h"

namespace fastchat::itest {

// The user `name` (canonical) with test_password(name), derived once per process.
inline const TestUser& user(const std::string& name) {
  static std::map<std::string, std::unique_ptr<TestUser>> users;
  auto& slot = users[name];
  if (!slot)
    slot = std::make_unique<TestUser>(TestUser::create(name, test_support::test_password(name)));
  return *slot;
}

class ChatTest : public ServerTest {
 protected:
  // Registers `name` on a fresh connection and closes it: the user is now offline
  // (returns once the server has seen the connection close and, in a cluster, every
  // server would answer "offline").
  void register_offline(const std::string& name) {
    auto client = registered(port(), user(name));
    ASSERT_TRUE(client);
    const std::size_t with = online_sessions();
    client.reset();
    ASSERT_TRUE(eventually([&] { return online_sessions() < with; }, std::chrono::seconds(10)));
    ASSERT_TRUE(servers_->wait_offline(name)) << name << " still has a session in Redis";
  }

  // Hello + Register, staying connected.
  std::unique_ptr<RawClient> online(const std::string& name) {
    auto client = registered(port(), user(name));
    EXPECT_TRUE(client) << "cannot register " << name;
    return client;
  }
};

// The SendOk for `request_id`, or a failure.
inline ::testing::AssertionResult send_ok(RawClient& client, std::uint64_t request_id,
                                          bool duplicate = false) {
  auto reply = client.response(request_id);
  if (!reply) return ::testing::AssertionFailure() << "no response to request " << request_id;
  if (!reply->has_send_ok()) {
    return ::testing::AssertionFailure() << "not a SendOk: " << reply->ShortDebugString();
  }
  if (reply->send_ok().duplicate() != duplicate) {
    return ::testing::AssertionFailure() << "duplicate=" << reply->send_ok().duplicate();
  }
  return ::testing::AssertionSuccess();
}

}  // namespace fastchat::itest
