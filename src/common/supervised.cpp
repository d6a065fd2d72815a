#include "common/supervised.h"

#include <spdlog/spdlog.h>

#include <stdexcept>

namespace fastchat {

void report_task_failure(std::string_view what, std::exception_ptr error,
                         std::atomic<std::uint64_t>& failures) {
  failures.fetch_add(1, std::memory_order_relaxed);
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    spdlog::error("{} failed: {}", what, e.what());
  } catch (...) {
    spdlog::error("{} failed: an exception that is not a std::exception", what);
  }
}

void run_supervised(asio::io_context& io, std::string_view loop_name,
                    std::atomic<std::uint64_t>& failures) {
  for (;;) {
    try {
      io.run();
      return;
    } catch (...) {
      report_task_failure(loop_name, std::current_exception(), failures);
    }
  }
}

}  // namespace fastchat
