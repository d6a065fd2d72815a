// LoopPool: a few single-threaded event loops (io_context + thread each) on which
// thousands of bench clients live, and a way for the controlling thread to run a
// coroutine on every loop and wait for them all.
// Thread safety: run_on_all() and the destructor from the controlling thread only.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <functional>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

namespace fastchat::bench {

class LoopPool {
 public:
  explicit LoopPool(std::size_t loops);
  ~LoopPool();
  LoopPool(const LoopPool&) = delete;
  LoopPool& operator=(const LoopPool&) = delete;

  std::size_t size() const { return loops_.size(); }
  asio::io_context& loop(std::size_t i) { return *loops_[i]; }
  asio::any_io_executor executor(std::size_t i) { return loops_[i]->get_executor(); }

  // Runs fn(i) as a coroutine on every loop i and blocks until all have returned.
  void run_on_all(const std::function<asio::awaitable<void>(std::size_t)>& fn);
  // Runs fn(i) on every loop i (a plain function) and blocks until all have run.
  void call_on_all(const std::function<void(std::size_t)>& fn);

 private:
  using Guard = asio::executor_work_guard<asio::io_context::executor_type>;
  std::vector<std::unique_ptr<asio::io_context>> loops_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
};

}  // namespace fastchat::bench
