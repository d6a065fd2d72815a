// offline: --users users each have --backlog messages waiting while they are offline;
// then all log in at once and read everything (Sync pages, decrypt, Ack). Reported:
// the time from connecting to the last message of the backlog decrypted (per user,
// and for all), drained messages/s, and loss/duplicates over the whole backlog.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <atomic>
#include <random>
#include <thread>

#include "bench_connection.h"
#include "client/content.h"
#include "fleet.h"
#include "ledger.h"
#include "message_crypto.h"
#include "payload.h"
#include "proc_stats.h"
#include "scenarios.h"
#include "schedule.h"

namespace fastchat::bench {

namespace {

constexpr std::uint32_t kSyncPage = 1000;
constexpr std::size_t kFillWindow = 2000;  // sends in flight per sender while filling

struct Reader {
  std::uint64_t delivered = 0, duplicated = 0, stale = 0, unexpected = 0, pages = 0;
  std::map<std::string, std::uint64_t> errors;
  LatencyHistogram drain_time;
  BenchClock::time_point last_done{};
};

// Reads the inbox of `session` after `after` to its end; `ledger` null: just skip it.
asio::awaitable<Status> read_inbox(client::Connection& c, std::uint64_t after,
                                   MessageCrypto& crypto, std::uint32_t me, DeliveryLedger* ledger,
                                   std::uint32_t step, Reader& reader) {
  for (;;) {
    wire::Frame frame;
    frame.mutable_sync()->set_after_seq(after);
    frame.mutable_sync()->set_limit(kSyncPage);
    auto reply = co_await c.request(std::move(frame));
    if (!reply) co_return reply.status();
    if (!reply->has_sync_page()) co_return Status(Code::kBadRequest, "expected SyncPage");
    ++reader.pages;
    const auto& page = reply->sync_page();
    for (const auto& item : page.messages()) {
      after = std::max(after, item.seq());
      if (ledger == nullptr) continue;
      const long sender = bench_index(item.sender());
      if (sender < 0) {
        ++reader.unexpected;
        continue;
      }
      auto content = crypto.open(me, static_cast<std::uint32_t>(sender), item);
      if (!content) {
        ++reader.errors[content.code() == Code::kNotFound ? "no-key" : "decrypt"];
        continue;
      }
      auto header = parse_payload(content->text());
      if (!header || header->step != step) {
        ++reader.stale;
        continue;
      }
      switch (ledger->deliver(header->slot)) {
        case DeliveryLedger::Delivery::kFirst:
          ++reader.delivered;
          break;
        case DeliveryLedger::Delivery::kDuplicate:
          ++reader.duplicated;
          break;
        case DeliveryLedger::Delivery::kUnexpected:
          ++reader.unexpected;
          break;
      }
    }
    if (!page.has_more() || page.messages_size() == 0) break;
  }
  wire::Frame ack;
  ack.mutable_ack()->set_up_to_seq(after);
  if (after > 0) {
    auto reply = co_await c.request(std::move(ack));
    if (!reply) co_return reply.status();
  }
  co_return Status::ok();
}

// Runs fn(i) for i in [0, n) on loop i % loops, all concurrently; waits for all.
void for_each_concurrently(LoopPool& pool, std::size_t n,
                           const std::function<asio::awaitable<void>(std::size_t)>& fn) {
  pool.run_on_all([&](std::size_t loop) -> asio::awaitable<void> {
    auto running = std::make_shared<std::size_t>(0);
    auto finished = std::make_shared<asio::steady_timer>(pool.executor(loop));
    finished->expires_at(asio::steady_timer::time_point::max());
    for (std::size_t i = loop; i < n; i += pool.size()) {
      ++*running;
      asio::co_spawn(
          pool.executor(loop),
          [&fn, i, running, finished]() -> asio::awaitable<void> {
            co_await fn(i);
            if (--*running == 0) finished->cancel();
          },
          asio::detached);
    }
    if (*running > 0) {
      co_await finished->async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    }
  });
}

}  // namespace

Result<RunReport> run_offline(const BenchOptions& o) {
  RunReport report = new_report(o);
  auto e2ee = parse_e2ee(o.e2ee);
  if (!e2ee) return e2ee.status();
  report.settings.emplace_back("e2ee", o.e2ee);
  LoopPool pool(loop_count(o));
  const std::size_t loops = pool.size();
  const std::size_t readers = std::max<std::size_t>(1, o.users);
  const std::size_t backlog = std::max<std::size_t>(1, o.backlog);
  Fleet fleet(o, pool);
  // Accounts 0..readers-1 go offline; readers..readers+loops-1 send, one per loop.
  if (Status s = fleet.prepare(readers + loops); !s) return s;
  Status connected = fleet.connect(readers + loops);
  if (Status s = fleet.save(); !s) spdlog::warn("cannot save bench accounts: {}", s.to_string());
  if (!connected) return connected;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs;
  for (std::uint32_t r = 0; r < readers; ++r)
    for (std::size_t l = 0; l < loops; ++l)
      pairs.emplace_back(r, static_cast<std::uint32_t>(readers + l));
  MessageCrypto crypto(*e2ee, fleet.accounts);
  if (Status s = crypto.add_pairs(pairs, loops); !s) return s;
  report.settings.emplace_back("backlog", std::to_string(backlog));

  // Start clean: read away whatever earlier runs left in the readers' inboxes.
  std::vector<Reader> scratch(readers);
  for_each_concurrently(pool, readers, [&](std::size_t r) -> asio::awaitable<void> {
    Status s = co_await read_inbox(*fleet.sessions[r], fleet.acked_seq[r], crypto,
                                   static_cast<std::uint32_t>(r), nullptr, 0, scratch[r]);
    if (!s) spdlog::warn("clearing the inbox of {}: {}", fleet.accounts[r].username, s.to_string());
  });
  pool.call_on_all([&](std::size_t loop) {
    for (std::size_t r = loop; r < readers; r += loops)
      fleet.sessions[r]->close();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  // Fill: sender on loop l writes `backlog` messages to each reader r with r % loops == l.
  DeliveryLedger ledger;
  const std::uint32_t step = static_cast<std::uint32_t>(std::random_device{}() & 0x7fffffff) + 1;
  StepResult fill;
  fill.label = "fill";
  std::atomic<std::uint64_t> sent{0}, acked{0};
  std::map<std::string, std::uint64_t> fill_errors;
  std::mutex fill_mutex;
  const auto fill_start = BenchClock::now();
  auto server_before = sample_process(o.server_pid);
  pool.run_on_all([&](std::size_t loop) -> asio::awaitable<void> {
    // The sender whose session lives on this loop (session i is on loop i % loops).
    const auto sender =
        static_cast<std::uint32_t>(readers + (loop + loops - readers % loops) % loops);
    auto c = fleet.sessions[sender];
    std::vector<std::uint32_t> targets;
    for (std::size_t r = loop; r < readers; r += loops)
      targets.push_back(static_cast<std::uint32_t>(r));
    const std::size_t total = targets.size() * backlog;
    auto next = std::make_shared<std::size_t>(0);
    auto running = std::make_shared<std::size_t>(0);
    auto finished = std::make_shared<asio::steady_timer>(pool.executor(loop));
    finished->expires_at(asio::steady_timer::time_point::max());
    const std::size_t workers = std::min(kFillWindow, total);
    for (std::size_t w = 0; w < workers; ++w) {
      ++*running;
      asio::co_spawn(
          pool.executor(loop),
          [&, c, next, running, finished, total, sender, targets]() -> asio::awaitable<void> {
            while (*next < total) {
              const std::size_t k = (*next)++;
              const std::uint32_t to = targets[k % targets.size()];
              const MessageId id = MessageId::time_ordered();
              PayloadHeader header{step, ledger.reserve(1),
                                   BenchClock::now().time_since_epoch().count()};
              auto content = client::make_content(id, fleet.accounts[sender].username,
                                                  fleet.accounts[to].username, 0, 0);
              content.set_text(make_payload(header, o.payload));
              wire::Frame frame;
              auto* send = frame.mutable_send();
              send->set_message_id(id.to_bytes());
              send->set_user(fleet.accounts[to].username);
              if (Status s = crypto.seal_direct(sender, to, content, *send); !s) {
                std::lock_guard lock(fill_mutex);
                ++fill_errors[std::string("seal:") + code_name(s.code())];
                continue;
              }
              ++sent;
              auto reply = co_await c->request(std::move(frame));
              if (reply && reply->has_send_ok()) {
                ledger.acknowledge(header.slot, 1);
                ++acked;
              } else {
                std::lock_guard lock(fill_mutex);
                ++fill_errors[reply ? "unexpected-reply" : code_name(reply.code())];
              }
            }
            if (--*running == 0) finished->cancel();
          },
          asio::detached);
    }
    if (*running > 0) {
      co_await finished->async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    }
  });
  const auto fill_end = BenchClock::now();
  auto server_after = sample_process(o.server_pid);
  fill.seconds = std::chrono::duration<double>(fill_end - fill_start).count();
  fill.offered = readers * backlog;
  fill.sent = sent;
  fill.acknowledged = acked;
  fill.errors = fill_errors;
  fill.figures.emplace_back("stored_msgs_per_s", static_cast<double>(acked) / fill.seconds);
  if (server_before && server_after) {
    fill.figures.emplace_back("server_cpu_us_per_stored_msg",
                              cpu_micros_per(*server_before, *server_after, acked));
    fill.server_cpu_percent = cpu_percent(*server_before, *server_after);
    fill.server_runqueue_ratio = runqueue_ratio(*server_before, *server_after);
    fill.server_rss_bytes = server_after->rss_bytes;
  }
  if (o.progress) {
    std::fprintf(stderr, "fill: %llu messages stored in %.2fs (%.0f/s)\n",
                 static_cast<unsigned long long>(fill.acknowledged), fill.seconds,
                 static_cast<double>(fill.acknowledged) / fill.seconds);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  // Drain: every reader logs in at once and reads its backlog.
  std::vector<Reader> out(readers);
  server_before = sample_process(o.server_pid);
  const auto bench_before = sample_process(getpid());
  const auto drain_start = BenchClock::now();
  for_each_concurrently(pool, readers, [&](std::size_t r) -> asio::awaitable<void> {
    const auto started = BenchClock::now();
    auto opened = co_await open_session(pool.executor(r % loops), o.server, fleet.accounts[r]);
    if (!opened) {
      ++out[r].errors[std::string("login:") + code_name(opened.code())];
      co_return;
    }
    Status s = co_await read_inbox(*opened->connection, opened->acked_seq, crypto,
                                   static_cast<std::uint32_t>(r), &ledger, step, out[r]);
    if (!s) ++out[r].errors[std::string("sync:") + code_name(s.code())];
    out[r].last_done = BenchClock::now();
    out[r].drain_time.record(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(out[r].last_done - started).count()));
    opened->connection->close();
  });
  server_after = sample_process(o.server_pid);
  const auto bench_after = sample_process(getpid());
  StepResult drain;
  drain.label = "drain";
  BenchClock::time_point last = drain_start;
  for (auto& r : out) {
    drain.latency.merge(r.drain_time);
    drain.duplicated += r.duplicated;
    drain.stale += r.stale;
    drain.unexpected += r.unexpected;
    for (const auto& [k, v] : r.errors)
      drain.errors[k] += v;
    last = std::max(last, r.last_done);
  }
  const LedgerTally tally = ledger.tally();
  drain.offered = fill.offered;
  drain.sent = fill.sent;
  drain.acknowledged = fill.acknowledged;
  drain.expected = tally.expected;
  drain.delivered = tally.delivered;
  drain.lost = tally.lost;
  drain.duplicated = tally.duplicated;
  drain.seconds = std::chrono::duration<double>(last - drain_start).count();
  drain.delivered_per_s =
      drain.seconds > 0 ? static_cast<double>(drain.delivered) / drain.seconds : 0;
  std::uint64_t pages = 0;
  for (auto& r : out)
    pages += r.pages;
  drain.figures.emplace_back("backlog_per_user", static_cast<double>(backlog));
  drain.figures.emplace_back("drain_seconds_all", drain.seconds);
  drain.figures.emplace_back("drain_seconds_p50_user",
                             static_cast<double>(drain.latency.percentile(50)) / 1e6);
  drain.figures.emplace_back("drain_seconds_max_user",
                             static_cast<double>(drain.latency.max()) / 1e6);
  drain.figures.emplace_back("sync_pages", static_cast<double>(pages));
  if (server_before && server_after) {
    drain.server_cpu_percent = cpu_percent(*server_before, *server_after);
    drain.server_runqueue_ratio = runqueue_ratio(*server_before, *server_after);
    drain.server_rss_bytes = server_after->rss_bytes;
    drain.figures.emplace_back("server_cpu_us_per_delivery",
                               cpu_micros_per(*server_before, *server_after, drain.delivered));
  }
  if (bench_before && bench_after) {
    drain.bench_cpu_percent = cpu_percent(*bench_before, *bench_after);
    drain.figures.emplace_back("bench_cpu_us_per_delivery",
                               cpu_micros_per(*bench_before, *bench_after, drain.delivered));
  }
  report.steps.push_back(std::move(fill));
  report.steps.push_back(std::move(drain));
  report.notes.push_back(
      "drain latency = per user, from connecting (Resume) to the last backlog message decrypted; "
      "pages of 1000");
  fleet.close_all();
  return report;
}

}  // namespace fastchat::bench
