#include "fleet.h"

#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <atomic>
#include <mutex>
#include <thread>

#include "bench_connection.h"
#include "schedule.h"

namespace fastchat::bench {

Status Fleet::prepare(std::size_t count) {
  AccountCache cache(options_.home_dir);
  const auto started = BenchClock::now();
  auto prepared = cache.prepare(count, std::max(1u, std::thread::hardware_concurrency()), &created);
  if (!prepared) return prepared.status();
  accounts = std::move(*prepared);
  if (created > 0) {
    spdlog::info("created {} bench accounts in {:.1f}s (Argon2id once each; cached in {})", created,
                 std::chrono::duration<double>(BenchClock::now() - started).count(), cache.file());
  }
  return Status::ok();
}

Status Fleet::connect(std::size_t count,
                      const std::function<client::Endpoint(std::size_t)>& endpoint) {
  if (accounts.empty()) return Status(Code::kInternal, "prepare() first");
  const auto started = BenchClock::now();
  sessions.assign(count, nullptr);
  acked_seq.assign(count, 0);
  auto where = [&](std::size_t i) { return endpoint ? endpoint(i) : options_.server; };
  // One probe decides whether cached tokens are worth trying: after a server reset
  // every Resume would fail and count against the per-address login limit.
  bool try_resume = true;
  Status first_error;
  std::mutex mutex;
  std::atomic<std::size_t> resumed_n{0}, login_n{0}, register_n{0};
  auto one = [&](std::size_t i, std::size_t loop, bool resume_ok) -> asio::awaitable<void> {
    BenchAccount& account = accounts[i % accounts.size()];
    // Sessions beyond the accounts share them (idle): only the first may log in anew.
    const bool fresh_allowed = i < accounts.size();
    auto opened =
        co_await open_session(pool_.executor(loop), where(i), account,
                              loopback_source(i, options_.sources), resume_ok || !fresh_allowed);
    if (!opened) {
      std::lock_guard lock(mutex);
      if (first_error.is_ok()) {
        first_error = Status(opened.code(), account.username + ": " + opened.status().message());
      }
      co_return;
    }
    sessions[i] = opened->connection;
    acked_seq[i] = opened->acked_seq;
    switch (opened->how) {
      case AuthKind::kResume:
        ++resumed_n;
        break;
      case AuthKind::kLogin:
        ++login_n;
        break;
      case AuthKind::kRegister:
        ++register_n;
        break;
    }
  };
  if (count > 0) {
    pool_.run_on_all([&](std::size_t loop) -> asio::awaitable<void> {
      if (loop == 0) co_await one(0, 0, true);
    });
    try_resume = sessions[0] != nullptr && resumed_n.load() == 1;
  }
  if (!first_error.is_ok()) return first_error;
  const std::size_t loops = pool_.size();
  const std::size_t per_loop = std::max<std::size_t>(1, options_.connect_concurrency / loops);
  std::atomic<std::size_t> done{1};
  // Sessions [begin, end), session i on loop i % loops, `per_loop` at a time per loop.
  auto wave = [&](std::size_t begin, std::size_t end) {
    pool_.run_on_all([&](std::size_t loop) -> asio::awaitable<void> {
      std::size_t first = begin + (loop + loops - begin % loops) % loops;
      auto next = std::make_shared<std::size_t>(first);
      auto running = std::make_shared<std::size_t>(per_loop);
      auto finished = std::make_shared<asio::steady_timer>(pool_.executor(loop));
      finished->expires_at(asio::steady_timer::time_point::max());
      for (std::size_t w = 0; w < per_loop; ++w) {
        asio::co_spawn(
            pool_.executor(loop),
            [&, next, running, finished, loop, end]() -> asio::awaitable<void> {
              while (*next < end) {
                const std::size_t i = *next;
                *next += loops;
                co_await one(i, loop, try_resume);
                const std::size_t d = ++done;
                if (options_.progress && d % 1000 == 0) {
                  std::fprintf(stderr, "\r[connect] %zu/%zu   ", d, count);
                }
              }
              if (--*running == 0) finished->cancel();
            },
            asio::detached);
      }
      // A worker may run to its end inside co_spawn (it dispatches), so look first.
      if (*running > 0) {
        co_await finished->async_wait(asio::experimental::as_tuple(asio::use_awaitable));
      }
    });
  };
  // First one session per account (they may log in anew and update the account),
  // then the sessions that share accounts (they only resume).
  wave(1, std::min(count, accounts.size()));
  if (count > accounts.size()) wave(accounts.size(), count);
  if (options_.progress && count >= 1000) std::fprintf(stderr, "\r%40s\r", "");
  resumed = resumed_n;
  logged_in = login_n;
  registered = register_n;
  connect_seconds = std::chrono::duration<double>(BenchClock::now() - started).count();
  if (!first_error.is_ok()) return first_error;
  return Status::ok();
}

Status Fleet::save() {
  return AccountCache(options_.home_dir).save(accounts);
}

void Fleet::close_all() {
  pool_.call_on_all([this](std::size_t loop) {
    for (std::size_t i = loop; i < sessions.size(); i += pool_.size())
      if (sessions[i]) sessions[i]->close();
  });
  for (int i = 0; i < 3; ++i)
    pool_.call_on_all([](std::size_t) {});
}

}  // namespace fastchat::bench
