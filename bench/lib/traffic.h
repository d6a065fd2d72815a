// TrafficEngine: the message load of the dm, group and balance scenarios. Users are
// spread over the LoopPool's loops; each loop runs an open-loop schedule at its share
// of the rate, seals each message as the client does (Content sealed by MessageCrypto:
// E2EE v1 or v2) and pipelines it on the sender's Connection; every recipient decrypts
// and verifies its push (a failure is a "decrypt" error), reads the intended send time
// and its ledger slot out of the content, and acks its inbox periodically as real
// clients do.
//
// Thread safety: add_user()/add_group()/start()/run_step()/stop() from the
// controlling thread; everything else runs on the loops.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "accounts.h"
#include "client/connection.h"
#include "common/message_id.h"
#include "histogram.h"
#include "ledger.h"
#include "loop_pool.h"
#include "message_crypto.h"
#include "report.h"
#include "schedule.h"

namespace fastchat::bench {

struct TrafficConfig {
  bool group = false;  // group messages (to groups) instead of direct ones (to contacts)
  std::size_t payload = 100;
  std::chrono::milliseconds ack_interval{100};
  std::size_t max_inflight_per_loop = 200'000;
  std::chrono::milliseconds drain_timeout{10'000};
  double slo_ms = 500;
  pid_t server_pid = 0;
  bool progress = true;
};

class TrafficEngine {
 public:
  // `crypto` has the pairs and groups added before start().
  TrafficEngine(LoopPool& pool, const std::vector<BenchAccount>& accounts, MessageCrypto& crypto,
                TrafficConfig config);
  ~TrafficEngine();

  // `contacts`: the users `account` writes direct messages to.
  void add_user(std::uint32_t account, std::shared_ptr<client::Connection> connection,
                std::size_t loop, std::vector<std::uint32_t> contacts);
  // Members in the server's order; `senders` is a subset that sends to the group.
  void add_group(GroupId id, std::vector<std::uint32_t> members,
                 std::vector<std::uint32_t> senders);
  void start();
  // One open-loop measurement: `rate` messages/s for `duration`, then a wait until
  // every acknowledged message was delivered (or the drain timeout).
  StepResult run_step(double rate, std::chrono::nanoseconds duration, const std::string& label);
  void stop();

  std::size_t users() const { return users_.size(); }

 private:
  struct User;
  struct Group;
  struct Step;
  struct LoopState;

  void issue(LoopState& ls, BenchClock::time_point intended);
  void on_push(User& user, wire::Frame& frame);
  asio::awaitable<void> drive(LoopState& ls, OpenLoopSchedule schedule);
  asio::awaitable<void> ack_loop(LoopState& ls);
  asio::awaitable<void> send_one(LoopState& ls, std::shared_ptr<client::Connection> c,
                                 wire::Frame frame, std::shared_ptr<Step> step, std::uint64_t slot,
                                 std::uint32_t recipients, BenchClock::time_point intended);
  void count_error(LoopState& ls, const std::string& kind);

  LoopPool& pool_;
  const std::vector<BenchAccount>& accounts_;
  MessageCrypto& crypto_;
  TrafficConfig config_;
  std::vector<std::unique_ptr<User>> users_;
  std::vector<User*> by_account_;
  std::vector<std::unique_ptr<Group>> groups_;
  std::unordered_map<GroupId, Group*> group_by_id_;
  std::vector<std::unique_ptr<LoopState>> loops_;
  std::atomic<bool> stopping_{false};
  std::uint32_t next_step_ = 1;
};

}  // namespace fastchat::bench
