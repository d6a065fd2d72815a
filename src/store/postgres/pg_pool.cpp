#include "store/postgres/pg_pool.h"

#include <cassert>
#include <chrono>
#include <utility>

namespace fastchat::store::postgres {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
      .count();
}

}  // namespace

PgLease::~PgLease() {
  if (conn_) pool_->release(std::move(conn_));
}

PgPool::PgPool(PgPoolOptions options) : options_(std::move(options)) {}

PgPool::~PgPool() {
  std::lock_guard lock(mu_);
  assert(open_ == static_cast<int>(idle_.size()) && "a PgLease outlived its pool");
  idle_.clear();
}

int PgPool::open_connections() const {
  std::lock_guard lock(mu_);
  return open_;
}

Result<std::unique_ptr<PgConnection>> PgPool::connect() {
  return PgConnection::connect(options_.connection);
}

Result<PgLease> PgPool::acquire() {
  const auto deadline = Clock::now() + std::chrono::milliseconds(options_.acquire_timeout_ms);
  std::unique_lock lock(mu_);
  for (;;) {
    if (!idle_.empty()) {
      // Most recently used first: it is the likeliest to be warm.
      std::unique_ptr<PgConnection> conn = std::move(idle_.back());
      idle_.pop_back();
      lock.unlock();
      if (conn->usable_after_idle()) return PgLease(*this, std::move(conn));
      conn.reset();  // closed outside the lock
      lock.lock();
      --open_;
      continue;
    }
    if (open_ < options_.max_connections) {
      if (now_ms() < retry_connect_at_ms_) {
        return Result<PgLease>(Code::kUnavailable, last_connect_error_);
      }
      ++open_;  // reserves the slot while connecting
      lock.unlock();
      auto conn = connect();
      lock.lock();
      if (!conn) {
        --open_;
        retry_connect_at_ms_ = now_ms() + options_.retry_connect_after_ms;
        last_connect_error_ = conn.status().message();
        returned_.notify_one();  // a waiter may try in turn
        return conn.status();
      }
      retry_connect_at_ms_ = 0;
      return PgLease(*this, std::move(conn).value());
    }
    if (returned_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.max_connections) {
      return Result<PgLease>(Code::kUnavailable, "all " + std::to_string(options_.max_connections) +
                                                     " PostgreSQL connections stayed busy for " +
                                                     std::to_string(options_.acquire_timeout_ms) +
                                                     " ms");
    }
  }
}

void PgPool::release(std::unique_ptr<PgConnection> conn) {
  // A connection left inside a transaction is a bug of its user; never hand it on.
  const bool keep = !conn->broken() && !conn->in_transaction();
  if (!keep) conn.reset();
  {
    std::lock_guard lock(mu_);
    if (keep) {
      idle_.push_back(std::move(conn));
    } else {
      --open_;
    }
  }
  returned_.notify_one();
}

}  // namespace fastchat::store::postgres
