// The scenarios of fastchat-bench (docs/performance.md describes each):
//   dm       1:1 messages to random contacts, open loop at --rate (or --max search)
//   group    messages to groups of --group-size members (fan-out)
//   login    log in and out as fast as possible: password login and token resume
//   offline  users with --backlog pending messages log in: time to drain it
//   idle     hold --users authenticated connections: server memory per connection
//   balance  dm load through fastchat-balancer (Locate), clients spread over a cluster
// Each returns its report; the caller prints and writes it.
// Thread safety: one scenario at a time per process.
#pragma once

#include "common/status.h"
#include "options.h"
#include "report.h"

namespace fastchat::bench {

Result<RunReport> run_scenario(BenchOptions options);

Result<RunReport> run_messages(const BenchOptions& options);
Result<RunReport> run_login(const BenchOptions& options);
Result<RunReport> run_offline(const BenchOptions& options);
Result<RunReport> run_idle(const BenchOptions& options);

// Helpers shared by the scenarios.
std::size_t loop_count(const BenchOptions& options);
RunReport new_report(const BenchOptions& options);

}  // namespace fastchat::bench
