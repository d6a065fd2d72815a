#include "server/idle_sweeper.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include "server/session.h"

namespace fastchat::server {

struct IdleSweeper::State {
  State(asio::any_io_executor executor, SessionRegistry& registry, ServerCounters& counters,
        std::chrono::milliseconds timeout)
      : timer(std::move(executor)), registry(registry), counters(counters), timeout(timeout) {}

  asio::steady_timer timer;
  SessionRegistry& registry;
  ServerCounters& counters;
  const std::chrono::milliseconds timeout;
  bool stopped = false;  // touched on the executor only
};

namespace {

void sweep(IdleSweeper::State& state) {
  const std::int64_t oldest = Session::steady_now_ms() - state.timeout.count();
  // Collected first, closed after: close() may run at once on this thread, and it
  // takes the registry's lock to leave it.
  auto idle = state.registry.sessions_where(
      [oldest](const Session& session) { return session.last_read_ms() <= oldest; });
  for (const auto& session : idle) {
    spdlog::debug("closing the idle connection of '{}'", session->username());
    state.counters.idle_closed.fetch_add(1, std::memory_order_relaxed);
    session->close();
  }
}

void arm(const std::shared_ptr<IdleSweeper::State>& state) {
  const auto interval = std::max(state->timeout / 4, std::chrono::milliseconds(10));
  state->timer.expires_after(interval);
  state->timer.async_wait([state](asio::error_code ec) {
    if (ec || state->stopped) return;
    sweep(*state);
    arm(state);
  });
}

}  // namespace

IdleSweeper::IdleSweeper(asio::any_io_executor executor, SessionRegistry& registry,
                         ServerCounters& counters, std::chrono::milliseconds timeout)
    : state_(std::make_shared<State>(std::move(executor), registry, counters, timeout)) {}

void IdleSweeper::start() {
  asio::post(state_->timer.get_executor(), [state = state_] { arm(state); });
}

void IdleSweeper::stop() {
  asio::post(state_->timer.get_executor(), [state = state_] {
    state->stopped = true;
    state->timer.cancel();
  });
}

}  // namespace fastchat::server
