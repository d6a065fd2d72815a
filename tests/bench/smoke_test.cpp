// A short run of every fastchat-bench scenario against an in-process server (port 0,
// temporary data dir), a handful of users for a second or two; the message scenarios
// once with E2EE v1 and once with v2. Asserts that nothing was lost, duplicated or
// failed to decrypt and that work was done; never asserts a speed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "common/logging.h"
#include "protocol/frame_codec.h"
#include "scenarios.h"
#include "server/server.h"

namespace fastchat::bench {
namespace {

// Accounts (one Argon2id each) are created once and shared by every test here.
const std::string& home() {
  static const std::string dir = [] {
    auto path = std::filesystem::temp_directory_path() /
                ("fastchat-bench-smoke-" + std::to_string(getpid()));
    std::filesystem::create_directories(path);
    return path.string();
  }();
  return dir;
}

// Removes the shared home when this test process ends.
class HomeCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(home(), ec);
  }
};
const auto* const kCleanup = ::testing::AddGlobalTestEnvironment(new HomeCleanup);

class BenchSmoke : public ::testing::Test {
 protected:
  void SetUp() override {
    protocol::silence_protobuf_logging();
    setup_logging("warn");
    data_dir_ = home() + "/server-" + std::to_string(counter_++);
    server::ServerConfig config;
    config.listen_port = 0;
    config.data_dir = data_dir_;
    config.threads = 2;
    server_ = std::make_unique<server::Server>(config);
    ASSERT_TRUE(server_->start().is_ok());
  }
  void TearDown() override {
    server_->stop();
    std::filesystem::remove_all(data_dir_);
  }

  BenchOptions options(const std::string& scenario) {
    BenchOptions o;
    o.scenario = scenario;
    o.server = {"127.0.0.1", server_->port()};
    o.server_pid = getpid();
    o.users = 6;
    o.duration_s = 1;
    o.rate = 200;
    o.home_dir = home();
    o.loops = 2;
    o.drain_s = 10;
    o.ceiling = false;
    o.progress = false;
    o.group_size = 3;
    o.group_senders = 2;
    o.contacts = 3;
    o.backlog = 200;
    return o;
  }

  static void expect_clean(const RunReport& r) {
    ASSERT_FALSE(r.steps.empty());
    EXPECT_EQ(r.total_lost(), 0u);
    EXPECT_EQ(r.total_duplicated(), 0u);
    EXPECT_TRUE(r.ok());
    for (const auto& s : r.steps) {
      EXPECT_EQ(s.error_count(), 0u) << s.label;
      EXPECT_EQ(s.unexpected, 0u) << s.label;
    }
  }

  static std::string setting(const RunReport& r, const std::string& name) {
    for (const auto& [k, v] : r.settings)
      if (k == name) return v;
    return "";
  }

  static inline int counter_ = 0;
  std::string data_dir_;
  std::unique_ptr<server::Server> server_;
};

// The message scenarios, with each E2EE version.
class BenchSmokeE2ee : public BenchSmoke, public ::testing::WithParamInterface<std::string> {
 protected:
  BenchOptions options(const std::string& scenario) {
    auto o = BenchSmoke::options(scenario);
    o.e2ee = GetParam();
    return o;
  }
  void expect_clean(const RunReport& r) {
    BenchSmoke::expect_clean(r);
    EXPECT_EQ(setting(r, "e2ee"), GetParam());
  }
};

INSTANTIATE_TEST_SUITE_P(E2ee, BenchSmokeE2ee, ::testing::Values("v1", "v2"),
                         [](const auto& info) { return info.param; });

TEST_P(BenchSmokeE2ee, DirectMessages) {
  auto o = options("dm");
  o.ceiling = true;
  o.ceiling_s = 0.3;
  auto r = run_scenario(o);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  expect_clean(*r);
  const auto& s = r->steps[0];
  EXPECT_GT(s.acknowledged, 0u);
  EXPECT_EQ(s.delivered, s.expected);
  EXPECT_EQ(s.acknowledged, s.sent);
  EXPECT_GT(s.latency.count(), 0u);
  ASSERT_TRUE(r->ceiling.has_value());
  EXPECT_GT(r->ceiling->delivered, 0u);
  EXPECT_EQ(r->ceiling->lost, 0u);
}

TEST_P(BenchSmokeE2ee, DirectMessagesMaxSearch) {
  auto o = options("dm");
  o.max = true;
  o.rate = 50;
  o.max_factor = 2;
  o.max_rate = 200;
  o.refine_steps = 0;
  o.duration_s = 0.4;
  auto r = run_scenario(o);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  expect_clean(*r);
  EXPECT_GE(r->steps.size(), 2u);
  ASSERT_TRUE(r->max_sustained_rate.has_value());
  EXPECT_GT(*r->max_sustained_rate, 0);
}

TEST_P(BenchSmokeE2ee, GroupFanOut) {
  auto r = run_scenario(options("group"));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  expect_clean(*r);
  const auto& s = r->steps[0];
  EXPECT_GT(s.acknowledged, 0u);
  EXPECT_EQ(s.expected, 2 * s.acknowledged);  // groups of 3: two recipients each
  EXPECT_EQ(s.delivered, s.expected);
}

// One group of all six users, every member sending: each delivery is a sender-key
// message (v2) checked by five receivers, or a body with five wraps (v1).
TEST_P(BenchSmokeE2ee, GroupEveryMemberSends) {
  auto o = options("group");
  o.group_size = 6;
  o.group_senders = 6;
  auto r = run_scenario(o);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  expect_clean(*r);
  const auto& s = r->steps[0];
  EXPECT_GT(s.acknowledged, 0u);
  EXPECT_EQ(s.acknowledged, s.sent);
  EXPECT_EQ(s.expected, 5 * s.acknowledged);
  EXPECT_EQ(s.delivered, s.expected);
}

TEST_F(BenchSmoke, LoginAndResume) {
  auto o = options("login");
  o.sources = 4;
  auto r = run_scenario(o);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  expect_clean(*r);
  // Over TLS (the default): a full handshake every cycle, then with TLS resumption.
  ASSERT_EQ(r->steps.size(), 4u);
  EXPECT_EQ(r->steps[0].label, "password+tls-full");
  EXPECT_EQ(r->steps[1].label, "resume+tls-full");
  EXPECT_EQ(r->steps[2].label, "password+tls-resumed");
  EXPECT_EQ(r->steps[3].label, "resume+tls-resumed");
  for (const auto& s : r->steps)
    EXPECT_GT(s.acknowledged, 0u) << s.label;
  EXPECT_EQ(r->steps[0].figures[2].second, 0.0);  // tls_resumed_share
  EXPECT_GT(r->steps[3].figures[2].second, 0.0);
}

TEST_P(BenchSmokeE2ee, OfflineBacklog) {
  auto o = options("offline");
  o.users = 3;
  auto r = run_scenario(o);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  expect_clean(*r);
  ASSERT_EQ(r->steps.size(), 2u);
  const auto& drain = r->steps[1];
  EXPECT_EQ(drain.expected, 3u * 200u);
  EXPECT_EQ(drain.delivered, drain.expected);
}

TEST_F(BenchSmoke, IdleConnections) {
  auto o = options("idle");
  o.users = 20;
  o.sources = 3;
  auto r = run_scenario(o);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  expect_clean(*r);
  EXPECT_EQ(r->steps[0].acknowledged, 20u);
}

TEST_P(BenchSmokeE2ee, BalanceThroughLocate) {
  // A chat server answers Locate with itself, so it stands in for the balancer here.
  auto o = options("balance");
  o.balancer = "127.0.0.1:" + std::to_string(server_->port());
  auto r = run_scenario(o);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  expect_clean(*r);
  EXPECT_GT(r->steps[0].delivered, 0u);
}

}  // namespace
}  // namespace fastchat::bench
