// idle: hold --users authenticated connections (sessions share up to 1000 accounts,
// all resumed with cached tokens), spread over --sources loopback addresses to pass
// the ephemeral-port limit of one address. Reported: server RSS per connection, the
// kernel's TCP memory per connection, and the server's CPU while they sit idle.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "fleet.h"
#include "proc_stats.h"
#include "scenarios.h"
#include "schedule.h"

namespace fastchat::bench {

namespace {

constexpr std::size_t kMaxAccounts = 1000;

// Pages of memory the kernel holds for TCP sockets ("TCP: ... mem N").
std::optional<std::uint64_t> tcp_memory_pages() {
  std::ifstream in("/proc/net/sockstat");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("TCP:", 0) != 0) continue;
    std::istringstream fields(line);
    std::string word;
    while (fields >> word) {
      if (word == "mem") {
        std::uint64_t pages = 0;
        fields >> pages;
        return pages;
      }
    }
  }
  return std::nullopt;
}

// Raises the soft descriptor limit to the hard one; returns the limit in force.
std::size_t raise_fd_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  getrlimit(RLIMIT_NOFILE, &limit);
  return static_cast<std::size_t>(limit.rlim_cur);
}

}  // namespace

Result<RunReport> run_idle(const BenchOptions& o) {
  RunReport report = new_report(o);
  std::size_t connections = std::max<std::size_t>(1, o.users);
  const std::size_t fd_limit = raise_fd_limit();
  // The bench needs one descriptor per connection (plus a few); an in-process server
  // another one each.
  const std::size_t per_connection = o.in_process_server ? 2 : 1;
  const std::size_t room = fd_limit > 200 ? (fd_limit - 200) / per_connection : 0;
  if (connections > room) {
    report.notes.push_back(fmt::format(
        "asked for {} connections, but this process may open {} files (RLIMIT_NOFILE; the hard "
        "limit cannot be raised here): holding {}",
        connections, fd_limit, room));
    connections = room;
  }
  report.settings.emplace_back("connections", std::to_string(connections));
  report.settings.emplace_back("sources", std::to_string(o.sources));
  LoopPool pool(loop_count(o));
  Fleet fleet(o, pool);
  const std::size_t accounts = std::min(connections, kMaxAccounts);
  if (Status s = fleet.prepare(accounts); !s) return s;

  const auto rss_before = sample_process(o.server_pid);
  const auto tcp_before = tcp_memory_pages();
  Status connected = fleet.connect(connections);
  if (Status s = fleet.save(); !s) spdlog::warn("cannot save bench accounts: {}", s.to_string());
  std::size_t open = 0;
  for (const auto& s : fleet.sessions)
    if (s && s->is_open()) ++open;
  StepResult r;
  r.label = "idle";
  r.offered = connections;
  r.sent = connections;
  r.acknowledged = open;
  if (!connected)
    r.errors[std::string("connect:") + code_name(connected.code())] += connections - open;
  if (o.progress) {
    std::fprintf(stderr, "idle: %zu connections open after %.1fs; holding %.0fs\n", open,
                 fleet.connect_seconds, o.duration_s);
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));  // let allocations settle
  const auto hold_start = sample_process(o.server_pid);
  const auto bench_start = sample_process(getpid());
  const auto tcp_after = tcp_memory_pages();
  std::this_thread::sleep_for(std::chrono::duration<double>(o.duration_s));
  const auto hold_end = sample_process(o.server_pid);
  const auto bench_end = sample_process(getpid());
  r.seconds = o.duration_s;
  r.figures.emplace_back("connections_open", static_cast<double>(open));
  r.figures.emplace_back("connect_seconds", fleet.connect_seconds);
  r.figures.emplace_back("connects_per_s", static_cast<double>(open) / fleet.connect_seconds);
  if (rss_before && hold_start && open > 0) {
    const double delta =
        static_cast<double>(hold_start->rss_bytes) - static_cast<double>(rss_before->rss_bytes);
    r.figures.emplace_back("server_rss_before_bytes", static_cast<double>(rss_before->rss_bytes));
    r.figures.emplace_back("server_rss_after_bytes", static_cast<double>(hold_start->rss_bytes));
    r.figures.emplace_back("server_rss_per_connection_bytes", delta / static_cast<double>(open));
    r.server_rss_bytes = hold_start->rss_bytes;
  }
  if (hold_start && hold_end) {
    r.server_cpu_percent = cpu_percent(*hold_start, *hold_end);
    r.server_runqueue_ratio = runqueue_ratio(*hold_start, *hold_end);
  }
  if (bench_start && bench_end) {
    r.bench_cpu_percent = cpu_percent(*bench_start, *bench_end);
    r.bench_runqueue_ratio = runqueue_ratio(*bench_start, *bench_end);
  }
  if (tcp_before && tcp_after && open > 0) {
    // Both ends of each connection are on this machine: half is the server's.
    const double per_socket =
        static_cast<double>(*tcp_after - *tcp_before) * 4096.0 / (2.0 * static_cast<double>(open));
    r.figures.emplace_back("kernel_tcp_bytes_per_socket", per_socket);
  }
  report.steps.push_back(std::move(r));
  if (o.in_process_server) {
    report.notes.push_back(
        "in-process server: RSS per connection includes the bench's client side");
  }
  fleet.close_all();
  return report;
}

}  // namespace fastchat::bench
