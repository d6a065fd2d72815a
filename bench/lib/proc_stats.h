// Reading a process's CPU time and resident memory from /proc (Linux), to report
// the server's cost (--server-pid) and the load generator's own.
// Plain functions; thread-safe.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace fastchat::bench {

struct ProcSample {
  double cpu_seconds = 0;       // user + system, all threads
  std::uint64_t rss_bytes = 0;  // VmRSS
  double wall_seconds = 0;      // steady clock when sampled
  double runqueue_seconds = 0;  // time its threads were runnable but waited for a CPU
};

// nullopt when the process does not exist or /proc cannot be read.
std::optional<ProcSample> sample_process(pid_t pid);

// CPU used between two samples in percent of one core (200 = two cores busy).
double cpu_percent(const ProcSample& before, const ProcSample& after);
// CPU microseconds per item (delivery, message) between two samples; 0 for no items.
// Steadier than a rate on a busy machine: other load delays the process, it does not
// add to its CPU time.
double cpu_micros_per(const ProcSample& before, const ProcSample& after, std::uint64_t items);
// Seconds its threads waited on the run queue per second they ran, between two
// samples: near 0 on an idle machine; 2 means other load held them off twice as
// long as they ran (the figures are then the machine's share, not its capacity).
double runqueue_ratio(const ProcSample& before, const ProcSample& after);

}  // namespace fastchat::bench
