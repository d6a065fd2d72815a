#include "server/tombstone_sweeper.h"

#include <spdlog/spdlog.h>

#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

#include "common/supervised.h"

namespace fastchat::server {

struct TombstoneSweeper::State {
  State(asio::any_io_executor executor, StoreWorker& worker, const Clock& clock,
        SweepSettings settings)
      : timer(executor), worker(worker), clock(clock), settings(settings) {}

  asio::steady_timer timer;
  StoreWorker& worker;
  const Clock& clock;
  SweepSettings settings;
  bool stopped = false;  // touched on the executor only
};

namespace {

// One sweep: batches until one comes back short. A store error ends it; the next
// interval tries again.
asio::awaitable<void> sweep_once(std::shared_ptr<TombstoneSweeper::State> state) {
  const std::int64_t before = state->clock.now_ms() - state->settings.window.count();
  const std::size_t batch = state->settings.batch;
  std::size_t total = 0;
  while (!state->stopped) {
    auto purge = [before, batch](store::Store& store) {
      return store.purge_tombstones(before, batch);
    };
    Result<std::size_t> purged = co_await state->worker.run(std::move(purge));
    if (!purged) {
      spdlog::warn("tombstone sweep failed: {}", purged.status().to_string());
      break;
    }
    total += *purged;
    if (*purged < batch) break;
  }
  if (total > 0) spdlog::debug("tombstone sweep removed {} old message ids", total);
}

asio::awaitable<void> sweep_loop(std::shared_ptr<TombstoneSweeper::State> state) {
  while (!state->stopped) {
    state->timer.expires_after(state->settings.interval);
    asio::error_code ec;
    co_await state->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (state->stopped) break;
    co_await sweep_once(state);
  }
}

}  // namespace

TombstoneSweeper::TombstoneSweeper(asio::any_io_executor executor, StoreWorker& worker,
                                   const Clock& clock, SweepSettings settings)
    : state_(std::make_shared<State>(std::move(executor), worker, clock, settings)) {}

void TombstoneSweeper::start(std::atomic<std::uint64_t>& failures) {
  spawn_supervised(state_->timer.get_executor(), sweep_loop(state_), "tombstone sweeper", failures);
}

void TombstoneSweeper::stop() {
  asio::post(state_->timer.get_executor(), [state = state_] {
    state->stopped = true;
    state->timer.cancel();
  });
}

}  // namespace fastchat::server
