// The ceiling reference: the minimal relay (bench/relay) started in this process,
// driven with the same number of connections and the same frame size as the real
// run, closed-loop with a window of frames in flight per connection, so its
// throughput is what this machine can relay at all. Every figure of a run can be
// given as a fraction of it.
#pragma once

#include <cstddef>
#include <string>

#include "loop_pool.h"
#include "report.h"

namespace fastchat::bench {

struct CeilingConfig {
  std::size_t connections = 100;
  std::size_t frame_bytes = 200;  // body bytes of one relayed frame
  double seconds = 3;
  std::size_t window = 16;        // frames in flight per connection
  std::size_t relay_threads = 2;  // the relay's event loops (like the server's)
  std::size_t sources = 0;
  bool progress = true;
};

StepResult measure_ceiling(LoopPool& pool, const CeilingConfig& config);

}  // namespace fastchat::bench
