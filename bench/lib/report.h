// What a benchmark run found, and how it is written: a table for people, JSON and
// CSV for tools, and a gnuplot script plus PNG of latency against offered load.
// Value types and plain functions; no shared state.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "histogram.h"

namespace fastchat::bench {

// One measurement at one load (one rate of an open-loop run, one login kind, ...).
struct StepResult {
  std::string label;
  double offered_rate = 0;         // intended operations per second; 0 for closed loop
  double seconds = 0;              // length of the measured window
  std::uint64_t offered = 0;       // operations the schedule asked for
  std::uint64_t sent = 0;          // written to a connection
  std::uint64_t acknowledged = 0;  // SendOk (or the operation's success)
  std::uint64_t expected = 0;      // deliveries owed for acknowledged messages
  std::uint64_t delivered = 0;     // distinct deliveries received
  std::uint64_t lost = 0;          // acknowledged, never delivered: must be 0
  std::uint64_t duplicated = 0;    // deliveries beyond the first: must be 0
  std::uint64_t stale = 0;         // deliveries of an earlier step or run (ignored)
  std::uint64_t unexpected = 0;    // deliveries no message of this step asked for
  double delivered_per_s = 0;
  LatencyHistogram latency;      // intended send time -> decrypted by the recipient
  LatencyHistogram ack_latency;  // intended send time -> SendOk at the sender
  LatencyHistogram send_lag;     // intended send time -> actually written (generator lateness)
  std::map<std::string, std::uint64_t> errors;  // by kind
  std::optional<double> server_cpu_percent;     // 100 = one core
  std::optional<std::uint64_t> server_rss_bytes;
  double bench_cpu_percent = 0;
  // Run-queue wait per second of CPU (proc_stats.h): how much other load on the
  // machine held the server and the bench off.
  std::optional<double> server_runqueue_ratio;
  double bench_runqueue_ratio = 0;
  bool generator_limited = false;  // the load generator, not the server, fell behind
  bool sustained = true;           // kept up with the offered load
  std::vector<std::pair<std::string, double>> figures;  // scenario-specific numbers

  std::uint64_t error_count() const;
};

struct RunReport {
  std::string scenario;
  std::string command_line;
  std::string machine;
  std::vector<std::pair<std::string, std::string>> settings;
  std::vector<StepResult> steps;
  std::optional<StepResult> ceiling;  // the minimal relay with the same connections
  std::optional<double> max_sustained_rate;
  std::vector<std::string> notes;

  std::uint64_t total_lost() const;
  std::uint64_t total_duplicated() const;
  bool ok() const { return total_lost() == 0 && total_duplicated() == 0; }
};

// "0.85 ms", "12.3 ms", "1.20 s" for a value in microseconds.
std::string format_micros(std::uint64_t micros);
std::string format_bytes(double bytes);

void print_table(std::FILE* out, const RunReport& report);
std::string to_json(const RunReport& report);
std::string to_csv(const RunReport& report);
// The gnuplot script plotting p50/p90/p99/p99.9 against offered load from `data_file`
// into `png_file`; empty when the run has fewer than one open-loop step.
std::string gnuplot_script(const RunReport& report, const std::string& data_file,
                           const std::string& png_file);

// Writes report.json, steps.csv, latency.dat, latency.gp and (when gnuplot is
// installed) latency.png into `dir`, creating it.
Status write_outputs(const RunReport& report, const std::string& dir);

}  // namespace fastchat::bench
