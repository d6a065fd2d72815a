#include "traffic.h"

#include <fmt/format.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <mutex>
#include <thread>

#include "client/content.h"
#include "payload.h"
#include "proc_stats.h"

namespace fastchat::bench {

namespace {

constexpr auto kAsTuple = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::uint64_t kBurst = 64;  // sends issued before letting I/O run

std::uint64_t micros_since(BenchClock::time_point from, BenchClock::time_point to) {
  if (to <= from) return 0;
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(to - from).count());
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct TrafficEngine::Group {
  GroupId id = 0;
  std::vector<std::uint32_t> members;
  std::unordered_map<std::uint32_t, std::uint32_t> position;
};

struct TrafficEngine::User {
  std::uint32_t account = 0;
  std::string username;
  std::shared_ptr<client::Connection> connection;
  std::size_t loop = 0;
  std::vector<std::uint32_t> contacts;
  std::vector<Group*> send_groups;
  std::uint64_t max_seq = 0;
  std::uint64_t acked_seq = 0;
  bool ack_in_flight = false;
  bool dirty = false;
};

struct TrafficEngine::Step {
  std::uint32_t id = 0;
  DeliveryLedger ledger;
};

struct TrafficEngine::LoopState {
  explicit LoopState(asio::any_io_executor ex)
      : executor(ex), ack_timer(ex), rng(std::random_device{}()) {}
  asio::any_io_executor executor;
  asio::steady_timer ack_timer;
  std::vector<User*> users;
  std::vector<User*> senders;
  std::vector<User*> dirty;
  std::mt19937_64 rng;
  std::shared_ptr<Step> step;
  // Counters the controlling thread reads for the progress line.
  std::atomic<std::uint64_t> offered{0}, sent{0}, acked{0}, delivered{0}, duplicated{0}, stale{0},
      unexpected{0}, inflight{0};
  std::atomic<std::int64_t> last_delivery_ns{0};
  // Read only on the loop (collected with call_on_all).
  LatencyHistogram latency, ack_latency, send_lag;
  std::map<std::string, std::uint64_t> errors;

  void reset() {
    offered = sent = acked = delivered = duplicated = stale = unexpected = 0;
    last_delivery_ns = 0;
    latency.clear();
    ack_latency.clear();
    send_lag.clear();
    errors.clear();
  }
};

TrafficEngine::TrafficEngine(LoopPool& pool, const std::vector<BenchAccount>& accounts,
                             MessageCrypto& crypto, TrafficConfig config)
    : pool_(pool), accounts_(accounts), crypto_(crypto), config_(config) {
  by_account_.assign(accounts.size(), nullptr);
  for (std::size_t i = 0; i < pool.size(); ++i)
    loops_.push_back(std::make_unique<LoopState>(pool.executor(i)));
  next_step_ = static_cast<std::uint32_t>(std::random_device{}() & 0x7fffffff) + 1;
}

TrafficEngine::~TrafficEngine() {
  stop();
}

void TrafficEngine::add_user(std::uint32_t account, std::shared_ptr<client::Connection> connection,
                             std::size_t loop, std::vector<std::uint32_t> contacts) {
  auto user = std::make_unique<User>();
  user->account = account;
  user->username = accounts_[account].username;
  user->connection = std::move(connection);
  user->loop = loop % loops_.size();
  user->contacts = std::move(contacts);
  by_account_[account] = user.get();
  loops_[user->loop]->users.push_back(user.get());
  users_.push_back(std::move(user));
}

void TrafficEngine::add_group(GroupId id, std::vector<std::uint32_t> members,
                              std::vector<std::uint32_t> senders) {
  auto group = std::make_unique<Group>();
  group->id = id;
  group->members = std::move(members);
  for (std::uint32_t i = 0; i < group->members.size(); ++i)
    group->position[group->members[i]] = i;
  for (std::uint32_t sender : senders) {
    if (User* u = by_account_[sender]) u->send_groups.push_back(group.get());
  }
  group_by_id_[id] = group.get();
  groups_.push_back(std::move(group));
}

void TrafficEngine::start() {
  for (auto& ls : loops_) {
    for (User* u : ls->users) {
      const bool sends = config_.group ? !u->send_groups.empty() : !u->contacts.empty();
      if (sends) ls->senders.push_back(u);
    }
  }
  pool_.call_on_all([this](std::size_t i) {
    LoopState& ls = *loops_[i];
    for (User* u : ls.users) {
      u->connection->set_push_handler([this, u](wire::Frame& frame) { on_push(*u, frame); });
    }
    asio::co_spawn(ls.executor, ack_loop(ls), asio::detached);
  });
}

void TrafficEngine::stop() {
  if (stopping_.exchange(true)) return;
  pool_.call_on_all([this](std::size_t i) {
    LoopState& ls = *loops_[i];
    ls.ack_timer.cancel();
    for (User* u : ls.users)
      u->connection->close();
  });
  // Let the request coroutines that the close just failed run to their end.
  for (int i = 0; i < 3; ++i)
    pool_.call_on_all([](std::size_t) {});
}

void TrafficEngine::count_error(LoopState& ls, const std::string& kind) {
  ++ls.errors[kind];
}

void TrafficEngine::issue(LoopState& ls, BenchClock::time_point intended) {
  ls.offered.fetch_add(1, std::memory_order_relaxed);
  if (ls.senders.empty()) {
    count_error(ls, "no-sender");
    return;
  }
  if (ls.inflight.load(std::memory_order_relaxed) >= config_.max_inflight_per_loop) {
    count_error(ls, "inflight-cap");
    return;
  }
  User& u = *ls.senders[ls.rng() % ls.senders.size()];
  if (!u.connection->is_open()) {
    count_error(ls, "disconnected");
    return;
  }
  const MessageId id = MessageId::time_ordered();
  PayloadHeader header{ls.step->id, 0, intended.time_since_epoch().count()};
  wire::Frame frame;
  auto* send = frame.mutable_send();
  send->set_message_id(id.to_bytes());
  std::uint32_t recipients = 0;
  Status sealed;
  if (!config_.group) {
    const std::uint32_t to = u.contacts[ls.rng() % u.contacts.size()];
    recipients = 1;
    header.slot = ls.step->ledger.reserve(recipients);
    auto content = client::make_content(id, u.username, accounts_[to].username, 0, wall_ms());
    content.set_text(make_payload(header, config_.payload));
    send->set_user(accounts_[to].username);
    sealed = crypto_.seal_direct(u.account, to, content, *send);
  } else {
    Group& g = *u.send_groups[ls.rng() % u.send_groups.size()];
    recipients = static_cast<std::uint32_t>(g.members.size() - 1);
    header.slot = ls.step->ledger.reserve(recipients);
    auto content = client::make_content(id, u.username, "", g.id, wall_ms());
    content.set_text(make_payload(header, config_.payload));
    sealed = crypto_.seal_group(g.id, u.account, content, *send);
  }
  if (!sealed) {
    count_error(ls, std::string("seal:") + code_name(sealed.code()));
    return;
  }
  if (header.slot == DeliveryLedger::kMaxSlots) {
    count_error(ls, "ledger-full");
    return;
  }
  ls.inflight.fetch_add(1, std::memory_order_relaxed);
  asio::co_spawn(
      ls.executor,
      send_one(ls, u.connection, std::move(frame), ls.step, header.slot, recipients, intended),
      asio::detached);
}

asio::awaitable<void> TrafficEngine::send_one(LoopState& ls, std::shared_ptr<client::Connection> c,
                                              wire::Frame frame, std::shared_ptr<Step> step,
                                              std::uint64_t slot, std::uint32_t recipients,
                                              BenchClock::time_point intended) {
  ls.send_lag.record(micros_since(intended, BenchClock::now()));
  ls.sent.fetch_add(1, std::memory_order_relaxed);
  auto reply = co_await c->request(std::move(frame));
  ls.inflight.fetch_sub(1, std::memory_order_relaxed);
  const bool current = step == ls.step;
  if (reply && reply->has_send_ok()) {
    step->ledger.acknowledge(slot, recipients);
    if (!current) co_return;
    ls.acked.fetch_add(1, std::memory_order_relaxed);
    ls.ack_latency.record(micros_since(intended, BenchClock::now()));
    if (reply->send_ok().duplicate()) count_error(ls, "send-ok-duplicate");
  } else if (current) {
    count_error(ls, reply ? "unexpected-reply" : std::string("send:") + code_name(reply.code()));
  }
}

void TrafficEngine::on_push(User& u, wire::Frame& frame) {
  if (!frame.has_message()) return;
  LoopState& ls = *loops_[u.loop];
  const auto& item = frame.message();
  if (item.seq() > u.max_seq) {
    u.max_seq = item.seq();
    if (!u.dirty) {
      u.dirty = true;
      ls.dirty.push_back(&u);
    }
  }
  const long sender = bench_index(item.sender());
  if (sender < 0 || static_cast<std::size_t>(sender) >= accounts_.size()) {
    ls.unexpected.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  auto content = crypto_.open(u.account, static_cast<std::uint32_t>(sender), item);
  if (!content) {
    count_error(ls, content.code() == Code::kNotFound ? "no-key" : "decrypt");
    return;
  }
  auto header = parse_payload(content->text());
  if (!header) {
    ls.unexpected.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const auto& step = ls.step;
  if (!step || header->step != step->id) {
    ls.stale.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  std::uint64_t slot = header->slot;
  if (item.group_id() != 0) {
    auto g = group_by_id_.find(item.group_id());
    if (g == group_by_id_.end()) {
      ls.unexpected.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    auto me = g->second->position.find(u.account);
    auto from = g->second->position.find(static_cast<std::uint32_t>(sender));
    if (me == g->second->position.end() || from == g->second->position.end()) {
      ls.unexpected.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    slot += me->second - (me->second > from->second ? 1 : 0);
  }
  const auto now = BenchClock::now();
  switch (step->ledger.deliver(slot)) {
    case DeliveryLedger::Delivery::kFirst: {
      ls.delivered.fetch_add(1, std::memory_order_relaxed);
      const BenchClock::time_point intended{BenchClock::duration(header->intended_ns)};
      ls.latency.record(micros_since(intended, now));
      const std::int64_t ns = now.time_since_epoch().count();
      if (ns > ls.last_delivery_ns.load(std::memory_order_relaxed)) {
        ls.last_delivery_ns.store(ns, std::memory_order_relaxed);
      }
      break;
    }
    case DeliveryLedger::Delivery::kDuplicate:
      ls.duplicated.fetch_add(1, std::memory_order_relaxed);
      break;
    case DeliveryLedger::Delivery::kUnexpected:
      ls.unexpected.fetch_add(1, std::memory_order_relaxed);
      break;
  }
}

asio::awaitable<void> TrafficEngine::ack_loop(LoopState& ls) {
  while (!stopping_) {
    ls.ack_timer.expires_after(config_.ack_interval);
    co_await ls.ack_timer.async_wait(kAsTuple);
    if (stopping_) break;
    auto dirty = std::move(ls.dirty);
    ls.dirty.clear();
    for (User* u : dirty) {
      u->dirty = false;
      if (u->max_seq <= u->acked_seq) continue;
      if (u->ack_in_flight) {
        u->dirty = true;
        ls.dirty.push_back(u);
        continue;
      }
      u->ack_in_flight = true;
      const std::uint64_t seq = u->max_seq;
      asio::co_spawn(
          ls.executor,
          [this, &ls, u, seq, c = u->connection]() -> asio::awaitable<void> {
            wire::Frame frame;
            frame.mutable_ack()->set_up_to_seq(seq);
            auto reply = co_await c->request(std::move(frame));
            u->ack_in_flight = false;
            if (reply) {
              u->acked_seq = std::max(u->acked_seq, seq);
            } else if (!stopping_) {
              count_error(ls, std::string("ack:") + code_name(reply.code()));
            }
          },
          asio::detached);
    }
  }
}

asio::awaitable<void> TrafficEngine::drive(LoopState& ls, OpenLoopSchedule schedule) {
  asio::steady_timer timer(ls.executor);
  std::uint64_t i = 0;
  while (i < schedule.total() && !stopping_) {
    const std::uint64_t due = schedule.due_by(BenchClock::now());
    if (due <= i) {
      timer.expires_at(schedule.at(i));
      co_await timer.async_wait(kAsTuple);
      continue;
    }
    const std::uint64_t end = std::min(due, i + kBurst);
    for (; i < end; ++i)
      issue(ls, schedule.at(i));
    co_await asio::post(ls.executor, asio::use_awaitable);  // let replies and pushes run
  }
}

StepResult TrafficEngine::run_step(double rate, std::chrono::nanoseconds duration,
                                   const std::string& label) {
  auto step = std::make_shared<Step>();
  step->id = next_step_++;
  pool_.call_on_all([&](std::size_t i) {
    loops_[i]->step = step;
    loops_[i]->reset();
  });
  const auto server_before = sample_process(config_.server_pid);
  const auto bench_before = sample_process(getpid());
  const std::size_t n = loops_.size();
  const auto t0 = BenchClock::now() + std::chrono::milliseconds(20);
  std::atomic<std::size_t> driving{n};
  for (std::size_t i = 0; i < n; ++i) {
    OpenLoopSchedule schedule(t0, rate / static_cast<double>(n), duration,
                              static_cast<double>(i) / static_cast<double>(n));
    asio::co_spawn(loops_[i]->executor, drive(*loops_[i], schedule),
                   [&driving](std::exception_ptr) { driving.fetch_sub(1); });
  }
  auto sum = [&](auto member) {
    std::uint64_t total = 0;
    for (auto& ls : loops_)
      total += ((*ls).*member).load(std::memory_order_relaxed);
    return total;
  };
  auto last_print = BenchClock::now();
  auto progress = [&](const char* phase) {
    if (!config_.progress) return;
    const auto now = BenchClock::now();
    if (now - last_print < std::chrono::seconds(1)) return;
    last_print = now;
    std::fprintf(stderr,
                 "\r[%s %s] %5.1fs offered %llu sent %llu acked %llu delivered %llu in-flight %llu"
                 "   ",
                 label.c_str(), phase, std::chrono::duration<double>(now - t0).count(),
                 static_cast<unsigned long long>(sum(&LoopState::offered)),
                 static_cast<unsigned long long>(sum(&LoopState::sent)),
                 static_cast<unsigned long long>(sum(&LoopState::acked)),
                 static_cast<unsigned long long>(sum(&LoopState::delivered)),
                 static_cast<unsigned long long>(sum(&LoopState::inflight)));
    std::fflush(stderr);
  };
  while (driving.load() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    progress("send");
  }
  const auto server_after = sample_process(config_.server_pid);
  const auto bench_after = sample_process(getpid());
  // Drain: first every request answered (the server may still be committing), then
  // every acknowledged message delivered.
  bool drained = false;
  const auto answer_deadline = BenchClock::now() + config_.drain_timeout * 6;
  while (sum(&LoopState::inflight) != 0 && BenchClock::now() < answer_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    progress("drain");
  }
  const auto deadline = BenchClock::now() + config_.drain_timeout;
  while (BenchClock::now() < deadline) {
    if (step->ledger.first_deliveries() >= step->ledger.acknowledged_slots()) {
      drained = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    progress("drain");
  }
  if (config_.progress) std::fprintf(stderr, "\r%100s\r", "");
  // Sending and draining: all the CPU the step's deliveries cost.
  const auto server_drained = sample_process(config_.server_pid);
  const auto bench_drained = sample_process(getpid());

  StepResult r;
  r.label = label;
  r.offered_rate = rate;
  r.seconds = std::chrono::duration<double>(duration).count();
  std::vector<StepResult> parts(n);
  pool_.call_on_all([&](std::size_t i) {
    LoopState& ls = *loops_[i];
    parts[i].latency = ls.latency;
    parts[i].ack_latency = ls.ack_latency;
    parts[i].send_lag = ls.send_lag;
    parts[i].errors = ls.errors;
  });
  std::int64_t last_ns = 0;
  for (std::size_t i = 0; i < n; ++i) {
    r.latency.merge(parts[i].latency);
    r.ack_latency.merge(parts[i].ack_latency);
    r.send_lag.merge(parts[i].send_lag);
    for (const auto& [k, v] : parts[i].errors)
      r.errors[k] += v;
    last_ns = std::max(last_ns, loops_[i]->last_delivery_ns.load());
  }
  r.offered = sum(&LoopState::offered);
  r.sent = sum(&LoopState::sent);
  r.acknowledged = sum(&LoopState::acked);
  r.stale = sum(&LoopState::stale);
  r.unexpected = sum(&LoopState::unexpected);
  const LedgerTally tally = step->ledger.tally();
  r.expected = tally.expected;
  r.delivered = tally.delivered;
  r.lost = tally.lost;
  r.duplicated = tally.duplicated;
  const double span =
      last_ns > 0 ? static_cast<double>(last_ns - t0.time_since_epoch().count()) / 1e9 : 0;
  r.delivered_per_s = span > 0 ? static_cast<double>(r.delivered) / std::max(span, r.seconds) : 0;
  if (server_before && server_after) {
    r.server_cpu_percent = cpu_percent(*server_before, *server_after);
    r.server_runqueue_ratio = runqueue_ratio(*server_before, *server_after);
    r.server_rss_bytes = server_after->rss_bytes;
  }
  if (bench_before && bench_after) {
    r.bench_cpu_percent = cpu_percent(*bench_before, *bench_after);
    r.bench_runqueue_ratio = runqueue_ratio(*bench_before, *bench_after);
  }
  const double per_message =
      r.acknowledged > 0 ? static_cast<double>(r.expected) / r.acknowledged : 1;
  const double offered_deliveries = rate * per_message;
  r.figures.emplace_back("acked_msgs_per_s",
                         static_cast<double>(r.acknowledged) / std::max(span, r.seconds));
  r.figures.emplace_back("deliveries_per_message", per_message);
  if (server_before && server_drained) {
    r.figures.emplace_back("server_cpu_us_per_delivery",
                           cpu_micros_per(*server_before, *server_drained, r.delivered));
  }
  if (bench_before && bench_drained) {
    r.figures.emplace_back("bench_cpu_us_per_delivery",
                           cpu_micros_per(*bench_before, *bench_drained, r.delivered));
  }
  if (!drained) r.errors["drain-timeout"] += 1;
  r.generator_limited = r.send_lag.percentile(99) > 10'000 || r.errors.contains("inflight-cap");
  r.sustained = r.lost == 0 && r.error_count() == 0 && r.sent == r.offered &&
                r.delivered_per_s >= 0.9 * offered_deliveries &&
                static_cast<double>(r.latency.percentile(99)) <= config_.slo_ms * 1000;
  return r;
}

}  // namespace fastchat::bench
