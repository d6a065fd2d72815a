// Durability: a message acknowledged with SendOk survives a server stop, SIGTERM and
// kill -9 (DESIGN §4), for the in-process server and for the real binary. In cluster
// mode the whole cluster restarts, and the binary is a fourth member of a running
// cluster whose acknowledged messages are read back through the other servers.
#include <gtest/gtest.h>

#include <set>

#include "chat_fixture.h"
#include "support/service_missing.h"

namespace fastchat::itest {
namespace {

class DurabilityTest : public ChatTest {};

TEST_F(DurabilityTest, AcknowledgedMessagesSurviveARestartOfTheInProcessServer) {
  register_offline("bob");
  std::string token;
  std::vector<MessageId> ids;
  GroupId group = 0;
  {
    auto alice = online("alice");
    ASSERT_TRUE(alice);
    for (int i = 0; i < 20; ++i) {
      ids.push_back(MessageId::random());
      ASSERT_TRUE(send_ok(*alice, alice->request(direct_send(user("alice"), user("bob"), ids.back(),
                                                             "durable " + std::to_string(i)))));
    }
    wire::Frame create;
    create.mutable_create_group()->set_name("kept");
    create.mutable_create_group()->add_members("bob");
    const auto info = alice->call(create);
    ASSERT_TRUE(info.has_group_info());
    group = info.group_info().group_id();
    auto login = std::make_unique<RawClient>(port());
    ASSERT_TRUE(login->hello());
    auto auth = login->login(user("alice"));
    ASSERT_TRUE(auth);
    token = auth->session_token();
  }
  servers_->stop();  // every server of a cluster
  Status restarted = servers_->start();
  ASSERT_TRUE(restarted) << restarted.to_string();

  auto bob = logged_in(port(), user("bob"));
  ASSERT_TRUE(bob);
  auto items = bob->sync_all();
  ASSERT_TRUE(items);
  ASSERT_EQ(items->size(), ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ((*items)[i].seq(), i + 1);
    EXPECT_EQ((*items)[i].message_id(), ids[i].to_bytes());
    auto text = user("bob").open_text(user("alice"), (*items)[i]);
    ASSERT_TRUE(text);
    EXPECT_EQ(*text, "durable " + std::to_string(i));
  }
  // Sessions and groups were kept too.
  auto alice = std::make_unique<RawClient>(port());
  ASSERT_TRUE(alice->hello());
  ASSERT_TRUE(alice->resume("alice", token));
  wire::Frame get;
  get.mutable_get_group()->set_group_id(group);
  EXPECT_TRUE(alice->call(get).has_group_info());
  // The sequence goes on where it stopped.
  ASSERT_TRUE(send_ok(*alice, alice->request(direct_send(user("alice"), user("bob"),
                                                         MessageId::random(), "after"))));
  auto push = bob->push();
  ASSERT_TRUE(push);
  EXPECT_EQ(push->seq(), ids.size() + 1);
}

TEST_F(DurabilityTest, StopCommitsEverythingAlreadyQueued) {
  register_offline("bob");
  auto alice = online("alice");
  ASSERT_TRUE(alice);
  constexpr int kCount = 300;
  std::vector<wire::Frame> frames;
  for (int i = 0; i < kCount; ++i) {
    frames.push_back(direct_send(user("alice"), user("bob"), MessageId::random(), "q"));
  }
  const auto requests = alice->request_all(std::move(frames));
  // Wait for the first SendOk so the burst is being processed, then stop at once.
  ASSERT_TRUE(send_ok(*alice, requests.front()));
  servers_->stop();
  std::size_t acknowledged = 1;
  for (std::size_t i = 1; i < requests.size(); ++i) {
    auto reply = alice->response(requests[i], std::chrono::milliseconds(2000));
    if (!reply) break;  // the connection ended
    if (reply->has_send_ok()) ++acknowledged;
  }
  ASSERT_TRUE(servers_->start());
  auto bob = logged_in(port(), user("bob"));
  ASSERT_TRUE(bob);
  auto items = bob->sync_all(0, 1000);
  ASSERT_TRUE(items);
  EXPECT_GE(items->size(), acknowledged) << "an acknowledged message was lost";
  for (std::size_t i = 0; i < items->size(); ++i)
    EXPECT_EQ((*items)[i].seq(), i + 1);
}

// The real binary: SIGTERM and kill -9.
class ServerProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cluster_mode()) return;
    if (const std::string why = TestCluster::unavailable(); !why.empty())
      FASTCHAT_SERVICE_MISSING(why);
    cluster_ = std::make_unique<TestCluster>(dir_.file("cluster"), true);
    Status started = cluster_->start();
    ASSERT_TRUE(started) << started.to_string();
  }
  void TearDown() override {
    if (cluster_) {
      for (std::size_t i = 0; i < cluster_->size(); ++i)
        EXPECT_TRUE(server_works(cluster_->port_of(i))) << "server " << i;
    }
  }

  // The binary's flags: in cluster mode, those joining the running cluster.
  std::vector<std::string> process_args() const {
    return cluster_ ? cluster_->process_args("itest-process") : std::vector<std::string>{};
  }
  // Where acknowledged messages are read back: the binary itself, or (cluster) the
  // other servers in turn.
  std::uint16_t reader_port(const ServerProcess& process) const {
    return cluster_ ? cluster_->port() : process.port();
  }

  TempDir dir_;
  std::unique_ptr<TestCluster> cluster_;
};

// Sends `count` messages from alice to bob pipelined and returns the ids that got a
// SendOk; with `kill_after`, kills the server with -9 as soon as that many SendOks came.
std::vector<std::string> send_burst(ServerProcess& process, int count, int kill_after) {
  auto alice = logged_in(process.port(), user("alice"));
  EXPECT_TRUE(alice);
  if (!alice) return {};
  std::vector<wire::Frame> frames;
  std::vector<MessageId> ids;
  for (int i = 0; i < count; ++i) {
    ids.push_back(MessageId::random());
    frames.push_back(
        direct_send(user("alice"), user("bob"), ids.back(), "burst " + std::to_string(i)));
  }
  const auto requests = alice->request_all(std::move(frames));
  std::vector<std::string> acknowledged;
  for (int i = 0; i < count; ++i) {
    auto reply = alice->response(requests[i], std::chrono::milliseconds(5000));
    if (!reply) break;
    if (reply->has_send_ok()) acknowledged.push_back(ids[i].to_bytes());
    if (static_cast<int>(acknowledged.size()) == kill_after) {
      process.kill9();
      // SendOks already on their way may still be read; each of them counts too.
      while (auto late = alice->next(std::chrono::milliseconds(500))) {
        if (late->has_send_ok()) acknowledged.push_back(late->send_ok().message_id());
      }
      break;
    }
  }
  return acknowledged;
}

// Every acknowledged id is in bob's inbox, once, and the sequence has no gaps.
void expect_inbox_holds(std::uint16_t port, const std::vector<std::string>& acknowledged) {
  auto bob = logged_in(port, user("bob"));
  ASSERT_TRUE(bob);
  auto items = bob->sync_all(0, 1000);
  ASSERT_TRUE(items);
  std::set<std::string> stored;
  for (std::size_t i = 0; i < items->size(); ++i) {
    EXPECT_EQ((*items)[i].seq(), i + 1) << "a gap in the sequence";
    EXPECT_TRUE(stored.insert((*items)[i].message_id()).second) << "stored twice";
  }
  for (const auto& id : acknowledged)
    EXPECT_TRUE(stored.count(id)) << "an acknowledged message was lost";
}

TEST_F(ServerProcessTest, KillNineRightAfterSendOkLosesNothingAcknowledged) {
  ServerProcess process(dir_.path(), process_args());
  Status started = process.start();
  ASSERT_TRUE(started) << started.to_string();
  ASSERT_TRUE(registered(process.port(), user("alice")));
  ASSERT_TRUE(registered(process.port(), user("bob")));

  // One message, then kill -9 immediately after its SendOk.
  auto alice = logged_in(process.port(), user("alice"));
  ASSERT_TRUE(alice);
  const auto id = MessageId::random();
  ASSERT_TRUE(
      send_ok(*alice, alice->request(direct_send(user("alice"), user("bob"), id, "just one"))));
  process.kill9();
  started = process.start();
  ASSERT_TRUE(started) << started.to_string();
  expect_inbox_holds(reader_port(process), {id.to_bytes()});

  // A burst killed in the middle: whatever was acknowledged is there.
  const auto acknowledged = send_burst(process, 400, 150);
  ASSERT_GE(acknowledged.size(), 150u);
  EXPECT_FALSE(process.running());
  started = process.start();
  ASSERT_TRUE(started) << started.to_string();
  auto all = acknowledged;
  all.push_back(id.to_bytes());
  expect_inbox_holds(reader_port(process), all);
  EXPECT_TRUE(server_works(process.port()));
}

TEST_F(ServerProcessTest, SigtermStopsCleanlyAndKeepsEverything) {
  ServerProcess process(dir_.path(), process_args());
  Status started = process.start();
  ASSERT_TRUE(started) << started.to_string();
  ASSERT_TRUE(registered(process.port(), user("alice")));
  ASSERT_TRUE(registered(process.port(), user("bob")));
  const auto acknowledged = send_burst(process, 100, -1);
  ASSERT_EQ(acknowledged.size(), 100u);
  EXPECT_EQ(process.terminate(), 0) << process.output();
  started = process.start();
  ASSERT_TRUE(started) << started.to_string();
  expect_inbox_holds(reader_port(process), acknowledged);
  EXPECT_TRUE(server_works(process.port()));
  EXPECT_EQ(process.terminate(), 0);
}

}  // namespace
}  // namespace fastchat::itest
