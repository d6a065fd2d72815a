// login: --users virtual users log in and out as fast as they can (closed loop), each
// cycle on a new connection: TCP connect, Hello, then either a password login (Login
// with the cached Argon2id auth key, then Logout, which revokes the new token) or a
// token resume (Resume with the cached token, then an abortive close). Over TLS both
// are run twice: a full TLS 1.3 handshake every cycle, then with session resumption
// (each user offers the session of its previous connection). Reported separately:
// logins/s and the time from connect to AuthOk.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <atomic>
#include <thread>

#include "bench_connection.h"
#include "fleet.h"
#include "proc_stats.h"
#include "scenarios.h"
#include "schedule.h"

namespace fastchat::bench {

namespace {

struct LoginLoop {
  LatencyHistogram latency;
  std::map<std::string, std::uint64_t> errors;
  std::atomic<std::uint64_t> attempts{0}, ok{0}, tls_resumed{0};
};

// `tls_resumption`: each virtual user keeps the TLS session of its last connection
// and offers it on the next (its first cycle shakes hands in full).
StepResult login_step(LoopPool& pool, Fleet& fleet, const BenchOptions& o, bool password,
                      bool tls_resumption) {
  const std::size_t users = fleet.accounts.size();
  const std::string label =
      std::string(password ? "password" : "resume") +
      (tls_resumption ? "+tls-resumed" : (transport_is_tls() ? "+tls-full" : ""));
  std::vector<std::unique_ptr<LoginLoop>> loops;
  for (std::size_t i = 0; i < pool.size(); ++i)
    loops.push_back(std::make_unique<LoginLoop>());
  const auto server_before = sample_process(o.server_pid);
  const auto bench_before = sample_process(getpid());
  const auto t0 = BenchClock::now();
  const auto end = t0 + std::chrono::duration_cast<BenchClock::duration>(
                            std::chrono::duration<double>(o.duration_s));
  std::atomic<std::size_t> source_counter{0};
  std::atomic<bool> progress_done{false};
  std::thread progress([&] {
    while (o.progress && !progress_done) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      std::uint64_t ok = 0;
      for (auto& l : loops)
        ok += l->ok.load();
      std::fprintf(stderr, "\r[login %s] %.1fs logins %llu   ", label.c_str(),
                   std::chrono::duration<double>(BenchClock::now() - t0).count(),
                   static_cast<unsigned long long>(ok));
    }
  });
  pool.run_on_all([&](std::size_t loop) -> asio::awaitable<void> {
    LoginLoop& st = *loops[loop];
    auto running = std::make_shared<std::size_t>(0);
    auto finished = std::make_shared<asio::steady_timer>(pool.executor(loop));
    finished->expires_at(asio::steady_timer::time_point::max());
    for (std::size_t u = loop; u < users; u += pool.size()) {
      ++*running;
      asio::co_spawn(
          pool.executor(loop),
          [&, u, running, finished, loop]() -> asio::awaitable<void> {
            const BenchAccount& account = fleet.accounts[u];
            auto sessions = tls_resumption ? std::make_shared<tls::SessionCache>(1) : nullptr;
            while (BenchClock::now() < end) {
              const auto started = BenchClock::now();
              st.attempts.fetch_add(1, std::memory_order_relaxed);
              const std::string source = loopback_source(source_counter++, o.sources);
              auto c =
                  co_await open_connection(pool.executor(loop), o.server, source, true, sessions);
              if (!c) {
                ++st.errors[std::string("connect:") + code_name(c.code())];
                continue;
              }
              if ((*c)->resumed()) st.tls_resumed.fetch_add(1, std::memory_order_relaxed);
              // Not `password ? co_await a : co_await b`: g++ 12 miscompiles co_await
              // inside a conditional expression (double destruction).
              Result<wire::AuthOk> ok = Status(Code::kInternal, "not tried");
              if (password) {
                ok = co_await login(**c, account);
              } else {
                ok = co_await resume(**c, account);
              }
              if (!ok) {
                ++st.errors[code_name(ok.code())];
                (*c)->close();
                continue;
              }
              st.latency.record(static_cast<std::uint64_t>(
                  std::chrono::duration_cast<std::chrono::microseconds>(BenchClock::now() - started)
                      .count()));
              st.ok.fetch_add(1, std::memory_order_relaxed);
              if (password) {
                Status out = co_await logout(**c);
                if (!out) ++st.errors[std::string("logout:") + code_name(out.code())];
              }
              (*c)->close();
            }
            if (--*running == 0) finished->cancel();
          },
          asio::detached);
    }
    if (*running > 0) {
      co_await finished->async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    }
  });
  const auto t1 = BenchClock::now();
  progress_done = true;
  progress.join();
  if (o.progress) std::fprintf(stderr, "\r%60s\r", "");
  const auto server_after = sample_process(o.server_pid);
  const auto bench_after = sample_process(getpid());
  StepResult r;
  r.label = label;
  r.seconds = std::chrono::duration<double>(t1 - t0).count();
  std::uint64_t tls_resumed = 0;
  for (auto& l : loops) {
    tls_resumed += l->tls_resumed;
    r.latency.merge(l->latency);
    for (const auto& [k, v] : l->errors)
      r.errors[k] += v;
    r.offered += l->attempts;
    r.acknowledged += l->ok;
  }
  r.sent = r.offered;
  r.delivered_per_s = 0;
  const double per_s = static_cast<double>(r.acknowledged) / r.seconds;
  r.figures.emplace_back("logins_per_s", per_s);
  r.figures.emplace_back("concurrent_users", static_cast<double>(users));
  r.figures.emplace_back(
      "tls_resumed_share",
      r.offered == 0 ? 0.0 : static_cast<double>(tls_resumed) / static_cast<double>(r.offered));
  if (server_before && server_after) {
    r.server_cpu_percent = cpu_percent(*server_before, *server_after);
    r.server_runqueue_ratio = runqueue_ratio(*server_before, *server_after);
    r.server_rss_bytes = server_after->rss_bytes;
  }
  if (bench_before && bench_after) {
    r.bench_cpu_percent = cpu_percent(*bench_before, *bench_after);
    r.bench_runqueue_ratio = runqueue_ratio(*bench_before, *bench_after);
  }
  return r;
}

}  // namespace

Result<RunReport> run_login(const BenchOptions& o) {
  RunReport report = new_report(o);
  LoopPool pool(loop_count(o));
  Fleet fleet(o, pool);
  const std::size_t users = std::max<std::size_t>(1, o.users);
  if (Status s = fleet.prepare(users); !s) return s;
  // Make sure every account exists on this server and holds a valid token.
  Status connected = fleet.connect(users);
  if (Status s = fleet.save(); !s) spdlog::warn("cannot save bench accounts: {}", s.to_string());
  if (!connected) return connected;
  fleet.close_all();
  report.settings.emplace_back("concurrency", std::to_string(users));
  report.settings.emplace_back("sources", std::to_string(o.sources));
  std::vector<bool> resumption_steps = {false};
  if (transport_is_tls()) resumption_steps.push_back(true);
  for (bool tls_resumption : resumption_steps) {
    for (bool password : {true, false}) {
      StepResult r = login_step(pool, fleet, o, password, tls_resumption);
      if (o.progress) {
        std::fprintf(stderr, "%s: %.0f logins/s, p99 %s, TLS resumed %.0f%%, errors %llu\n",
                     r.label.c_str(), r.figures[0].second,
                     format_micros(r.latency.percentile(99)).c_str(), 100 * r.figures[2].second,
                     static_cast<unsigned long long>(r.error_count()));
      }
      report.steps.push_back(std::move(r));
    }
  }
  report.notes.push_back(
      "password logins send the cached Argon2id auth key (the client's ~100 ms Argon2id is not "
      "repeated per login: it costs the client, not the server); latency is connect -> AuthOk; "
      "each cycle opens a new TCP connection and says Hello; +tls-full: every cycle a full "
      "TLS 1.3 handshake, +tls-resumed: each user offers the session of its previous cycle "
      "(tls_resumed_share: the share of cycles the server resumed)");
  return report;
}

}  // namespace fastchat::bench
