#include "proc_stats.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace fastchat::bench {

std::optional<ProcSample> sample_process(pid_t pid) {
  const std::string base = "/proc/" + std::to_string(pid);
  std::ifstream stat(base + "/stat");
  std::string line;
  if (!stat || !std::getline(stat, line)) return std::nullopt;
  // The command name (field 2) may hold spaces; fields after it follow ") ".
  const auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  // After ')': state(3) ppid(4) ... utime is field 14, stime 15 -> indexes 11, 12 here.
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  ProcSample sample;
  sample.cpu_seconds =
      static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  std::ifstream status(base + "/status");
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      sample.rss_bytes = std::stoull(line.substr(6)) * 1024;  // "VmRSS:   1234 kB"
      break;
    }
  }
  // Per-thread scheduler statistics: "run_ns wait_ns slices".
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator(base + "/task", ec)) {
    std::ifstream schedstat(task.path() / "schedstat");
    double run_ns = 0, wait_ns = 0;
    if (schedstat >> run_ns >> wait_ns) sample.runqueue_seconds += wait_ns / 1e9;
  }
  sample.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  return sample;
}

double cpu_percent(const ProcSample& before, const ProcSample& after) {
  const double wall = after.wall_seconds - before.wall_seconds;
  if (wall <= 0) return 0;
  return 100.0 * (after.cpu_seconds - before.cpu_seconds) / wall;
}

}  // namespace fastchat::bench

namespace fastchat::bench {

double runqueue_ratio(const ProcSample& before, const ProcSample& after) {
  const double ran = after.cpu_seconds - before.cpu_seconds;
  if (ran <= 0) return 0;
  return (after.runqueue_seconds - before.runqueue_seconds) / ran;
}

double cpu_micros_per(const ProcSample& before, const ProcSample& after, std::uint64_t items) {
  if (items == 0) return 0;
  return (after.cpu_seconds - before.cpu_seconds) * 1e6 / static_cast<double>(items);
}

}  // namespace fastchat::bench
