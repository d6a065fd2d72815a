#include "ceiling.h"

#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <atomic>
#include <cstring>
#include <random>
#include <thread>

#include "bench_connection.h"
#include "proc_stats.h"
#include "relay/relay_client.h"
#include "relay/relay_server.h"
#include "schedule.h"

namespace fastchat::bench {

namespace {

struct Peer {
  std::shared_ptr<relay::RelayClient> client;
  std::size_t loop = 0;
  std::size_t in_flight = 0;
};

struct LoopStats {
  LatencyHistogram latency;
  std::atomic<std::uint64_t> sent{0}, acked{0}, delivered{0};
  std::mt19937_64 rng{std::random_device{}()};
};

}  // namespace

StepResult measure_ceiling(LoopPool& pool, const CeilingConfig& config) {
  StepResult r;
  r.label = "relay";
  relay::RelayServer server("127.0.0.1", 0, config.relay_threads);
  if (Status s = server.start(); !s) {
    r.errors["relay-start"] = 1;
    return r;
  }
  const std::size_t n = std::max<std::size_t>(2, config.connections);
  std::vector<Peer> peers(n);
  std::vector<std::unique_ptr<LoopStats>> stats;
  for (std::size_t i = 0; i < pool.size(); ++i)
    stats.push_back(std::make_unique<LoopStats>());
  std::atomic<bool> running{false};
  std::atomic<std::uint64_t> connect_errors{0};
  const std::string body_template(std::max<std::size_t>(config.frame_bytes, 8), 'x');

  auto send_one = [&](std::size_t from) {
    Peer& p = peers[from];
    LoopStats& st = *stats[p.loop];
    std::uint32_t to = static_cast<std::uint32_t>(st.rng() % (n - 1));
    if (to >= from) ++to;
    std::string body = body_template;
    const std::int64_t now = BenchClock::now().time_since_epoch().count();
    std::memcpy(body.data(), &now, sizeof now);
    p.client->send(to, body);
    ++p.in_flight;
    st.sent.fetch_add(1, std::memory_order_relaxed);
  };

  pool.run_on_all([&](std::size_t loop) -> asio::awaitable<void> {
    for (std::size_t i = loop; i < n; i += pool.size()) {
      peers[i].loop = loop;
      peers[i].client = relay::RelayClient::create(pool.executor(loop));
      LoopStats* st = stats[loop].get();
      peers[i].client->set_handlers(
          [st](std::string_view body) {
            std::int64_t sent_ns = 0;
            if (body.size() >= sizeof sent_ns) std::memcpy(&sent_ns, body.data(), sizeof sent_ns);
            const auto now = BenchClock::now().time_since_epoch().count();
            st->latency.record(
                static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - sent_ns)) / 1000);
            st->delivered.fetch_add(1, std::memory_order_relaxed);
          },
          [&, i, st] {
            --peers[i].in_flight;
            st->acked.fetch_add(1, std::memory_order_relaxed);
            if (running.load(std::memory_order_relaxed)) send_one(i);
          });
      Status s = co_await peers[i].client->connect("127.0.0.1", server.port(),
                                                   static_cast<std::uint32_t>(i),
                                                   loopback_source(i, config.sources));
      if (!s) connect_errors.fetch_add(1);
    }
  });
  if (connect_errors > 0) r.errors["connect"] = connect_errors;

  const auto bench_before = sample_process(getpid());
  const auto t0 = BenchClock::now();
  running = true;
  pool.call_on_all([&](std::size_t loop) {
    for (std::size_t i = loop; i < n; i += pool.size())
      for (std::size_t w = 0; w < config.window; ++w)
        if (peers[i].client->is_open()) send_one(i);
  });
  auto sum = [&](auto member) {
    std::uint64_t total = 0;
    for (auto& s : stats)
      total += ((*s).*member).load();
    return total;
  };
  const auto end = t0 + std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::duration<double>(config.seconds));
  while (BenchClock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (config.progress) {
      std::fprintf(stderr, "\r[relay ceiling] %.1fs delivered %llu   ",
                   std::chrono::duration<double>(BenchClock::now() - t0).count(),
                   static_cast<unsigned long long>(sum(&LoopStats::delivered)));
    }
  }
  running = false;
  const std::uint64_t delivered_at_end = sum(&LoopStats::delivered);
  const auto t1 = BenchClock::now();
  const auto bench_after = sample_process(getpid());
  // Drain what is in flight, then count.
  const auto deadline = BenchClock::now() + std::chrono::seconds(5);
  while (BenchClock::now() < deadline && (sum(&LoopStats::acked) < sum(&LoopStats::sent) ||
                                          sum(&LoopStats::delivered) < sum(&LoopStats::acked))) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (config.progress) std::fprintf(stderr, "\r%60s\r", "");
  pool.call_on_all([&](std::size_t loop) {
    for (std::size_t i = loop; i < n; i += pool.size())
      if (peers[i].client) peers[i].client->close();
  });
  for (auto& st : stats)
    r.latency.merge(st->latency);
  r.seconds = std::chrono::duration<double>(t1 - t0).count();
  r.offered = r.sent = sum(&LoopStats::sent);
  r.acknowledged = r.expected = sum(&LoopStats::acked);
  r.delivered = sum(&LoopStats::delivered);
  r.lost = r.delivered < r.acknowledged ? r.acknowledged - r.delivered : 0;
  r.delivered_per_s = static_cast<double>(delivered_at_end) / r.seconds;
  if (bench_before && bench_after) {
    r.bench_cpu_percent = cpu_percent(*bench_before, *bench_after);
    r.bench_runqueue_ratio = runqueue_ratio(*bench_before, *bench_after);
  }
  r.figures.emplace_back("connections", static_cast<double>(n));
  r.figures.emplace_back("frame_bytes", static_cast<double>(config.frame_bytes));
  r.figures.emplace_back("window", static_cast<double>(config.window));
  for (int i = 0; i < 3; ++i)
    pool.call_on_all([](std::size_t) {});
  server.stop();
  return r;
}

}  // namespace fastchat::bench
