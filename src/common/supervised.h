// Asynchronous work under one rule: an exception that escapes it is never silent. It is
// logged with what the work was, counted (for /metrics), and the caller's `on_failure`
// runs (a session closes; a loop that can go on does nothing more).
#pragma once

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <string_view>

namespace fastchat {

// Logs `error` (a std::exception's what(), or that it was something else) and counts it.
void report_task_failure(std::string_view what, std::exception_ptr error,
                         std::atomic<std::uint64_t>& failures);

// co_spawn with the rule above, in place of asio::detached.
// `where`: an executor or an execution context (an io_context), as for co_spawn.
template <class Where, class Awaitable>
void spawn_supervised(Where&& where, Awaitable work, std::string what,
                      std::atomic<std::uint64_t>& failures, std::function<void()> on_failure = {}) {
  asio::co_spawn(std::forward<Where>(where), std::move(work),
                 [what = std::move(what), &failures,
                  on_failure = std::move(on_failure)](std::exception_ptr error) {
                   if (!error) return;
                   report_task_failure(what, error, failures);
                   if (on_failure) on_failure();
                 });
}

// The body of an event loop's thread: io.run() until it returns. A handler that throws is
// reported and the loop goes on (the rest of the thread's users are not taken down).
void run_supervised(asio::io_context& io, std::string_view loop_name,
                    std::atomic<std::uint64_t>& failures);

}  // namespace fastchat
