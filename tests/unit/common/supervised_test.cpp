// The one rule for asynchronous work: what throws is reported, counted and handled.
#include "common/supervised.h"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <stdexcept>

namespace fastchat {
namespace {

asio::awaitable<void> throws_std() {
  throw std::runtime_error("disk on fire");
  co_return;
}

asio::awaitable<void> throws_other() {
  throw 42;
  co_return;
}

asio::awaitable<void> finishes(bool& done) {
  done = true;
  co_return;
}

TEST(Supervised, WorkThatThrowsIsCountedAndItsFailureHandlerRuns) {
  asio::io_context io;
  std::atomic<std::uint64_t> failures{0};
  int handled = 0;
  spawn_supervised(io, throws_std(), "test work", failures, [&] { ++handled; });
  spawn_supervised(io, throws_other(), "test work", failures, [&] { ++handled; });
  io.run();
  EXPECT_EQ(failures.load(), 2u);
  EXPECT_EQ(handled, 2);
}

TEST(Supervised, WorkThatFinishesIsNotAFailure) {
  asio::io_context io;
  std::atomic<std::uint64_t> failures{0};
  bool done = false;
  bool handled = false;
  spawn_supervised(io, finishes(done), "test work", failures, [&] { handled = true; });
  io.run();
  EXPECT_TRUE(done);
  EXPECT_FALSE(handled);
  EXPECT_EQ(failures.load(), 0u);
}

TEST(Supervised, ALoopGoesOnAfterAHandlerThrows) {
  asio::io_context io;
  std::atomic<std::uint64_t> failures{0};
  bool later_ran = false;
  asio::post(io, [] { throw std::logic_error("bug"); });
  asio::post(io, [] { throw 7; });
  asio::post(io, [&] { later_ran = true; });
  run_supervised(io, "test loop", failures);
  EXPECT_TRUE(later_ran);
  EXPECT_EQ(failures.load(), 2u);
}

}  // namespace
}  // namespace fastchat
