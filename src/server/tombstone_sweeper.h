// TombstoneSweeper: ends de-duplication for old messages. A message every recipient
// acknowledged stays in the store as a tombstone (its (sender, message_id), no body) so
// that a client's late retry is still answered "duplicate" instead of being delivered
// again; every `interval` this deletes the tombstones older than the de-duplication
// window, in bounded batches on the store worker, never on an event loop's thread.
// In a cluster every server sweeps; the deletes are idempotent.
// start() and stop() from one thread; the sweep runs on `executor`. Call stop() while
// that executor's context still runs (the sweep itself may finish later, or be
// destroyed with the context).
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include "common/clock.h"
#include "server/store_worker.h"

namespace fastchat::server {

struct SweepSettings {
  std::chrono::milliseconds window{std::chrono::hours(24)};
  std::chrono::milliseconds interval{std::chrono::minutes(1)};
  std::size_t batch = 10'000;  // rows per delete, so one sweep never holds the writer long
};

class TombstoneSweeper {
 public:
  TombstoneSweeper(asio::any_io_executor executor, StoreWorker& worker, const Clock& clock,
                   SweepSettings settings);
  TombstoneSweeper(const TombstoneSweeper&) = delete;
  TombstoneSweeper& operator=(const TombstoneSweeper&) = delete;

  // A sweep loop that throws is reported and counted in `failures` (common/supervised.h).
  void start(std::atomic<std::uint64_t>& failures);
  void stop();

  struct State;  // opaque: defined and used in the .cpp only

 private:
  std::shared_ptr<State> state_;  // shared with the running sweep, which may outlive stop()
};

}  // namespace fastchat::server
