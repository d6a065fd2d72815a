#include "loop_pool.h"

#include <spdlog/spdlog.h>

#include <asio/post.hpp>

namespace fastchat::bench {

LoopPool::LoopPool(std::size_t loops) {
  for (std::size_t i = 0; i < std::max<std::size_t>(1, loops); ++i) {
    loops_.push_back(std::make_unique<asio::io_context>(1));
    guards_.push_back(asio::make_work_guard(*loops_.back()));
  }
  for (auto& loop : loops_)
    threads_.emplace_back([&loop] { loop->run(); });
}

LoopPool::~LoopPool() {
  guards_.clear();
  for (auto& loop : loops_)
    loop->stop();
  for (auto& t : threads_)
    t.join();
}

void LoopPool::run_on_all(const std::function<asio::awaitable<void>(std::size_t)>& fn) {
  std::latch done(static_cast<std::ptrdiff_t>(loops_.size()));
  for (std::size_t i = 0; i < loops_.size(); ++i) {
    asio::co_spawn(*loops_[i], fn(i), [&done](std::exception_ptr error) {
      if (error) {
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          spdlog::error("bench loop task failed: {}", e.what());
        }
      }
      done.count_down();
    });
  }
  done.wait();
}

void LoopPool::call_on_all(const std::function<void(std::size_t)>& fn) {
  std::latch done(static_cast<std::ptrdiff_t>(loops_.size()));
  for (std::size_t i = 0; i < loops_.size(); ++i) {
    asio::post(*loops_[i], [&fn, &done, i] {
      fn(i);
      done.count_down();
    });
  }
  done.wait();
}

}  // namespace fastchat::bench
