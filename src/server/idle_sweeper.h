// IdleSweeper: closes logged-in connections that sent nothing, not even a Ping, for
// the idle timeout. One timer for the whole server, not one per session (an idle
// connection's memory is counted in bytes, docs/performance.md): every quarter of the
// timeout it walks the registry and closes the sessions whose last read is older, so a
// silent connection goes between 1 and 1.25 timeouts after its last byte.
// start() and stop() from one thread; the sweep runs on `executor`. Call stop() while
// that executor's context still runs.
#pragma once

#include <asio/any_io_executor.hpp>
#include <chrono>
#include <memory>

#include "server/server_context.h"
#include "server/session_registry.h"

namespace fastchat::server {

class IdleSweeper {
 public:
  IdleSweeper(asio::any_io_executor executor, SessionRegistry& registry, ServerCounters& counters,
              std::chrono::milliseconds timeout);
  IdleSweeper(const IdleSweeper&) = delete;
  IdleSweeper& operator=(const IdleSweeper&) = delete;

  void start();
  void stop();

  struct State;  // opaque: defined and used in the .cpp only

 private:
  std::shared_ptr<State> state_;  // shared with the pending wait, which may outlive stop()
};

}  // namespace fastchat::server
