// PgPool: a bounded pool of PgConnections to one database. acquire() hands out an idle
// connection, opens a new one while fewer than max_connections exist, or waits (up to
// acquire_timeout_ms) for one to come back. A connection that broke is dropped when it
// comes back, and one that died while idle (server restarted) is noticed on the way out
// and replaced, so service resumes by itself once the server is back. While it is down,
// acquire() fails with kUnavailable at once: after a failed connect, for
// retry_connect_after_ms, without trying again.
//
// Thread-safe. Connections are opened and closed outside the lock.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/postgres/pg_connection.h"

namespace fastchat::store::postgres {

struct PgPoolOptions {
  PgConnectOptions connection;
  int max_connections = 8;
  int acquire_timeout_ms = 5'000;
  int retry_connect_after_ms = 250;
};

class PgPool;

// A connection on loan; goes back to its pool on destruction. Move-only.
class PgLease {
 public:
  PgLease(PgPool& pool, std::unique_ptr<PgConnection> conn)
      : pool_(&pool), conn_(std::move(conn)) {}
  PgLease(PgLease&& other) noexcept = default;
  PgLease& operator=(PgLease&&) = delete;
  ~PgLease();

  PgConnection& operator*() const { return *conn_; }
  PgConnection* operator->() const { return conn_.get(); }

 private:
  PgPool* pool_;
  std::unique_ptr<PgConnection> conn_;
};

class PgPool {
 public:
  explicit PgPool(PgPoolOptions options);
  // Every lease must have come back.
  ~PgPool();
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;

  Result<PgLease> acquire();

  // Connections open now (idle and on loan), for tests.
  int open_connections() const;

 private:
  friend class PgLease;
  void release(std::unique_ptr<PgConnection> conn);
  Result<std::unique_ptr<PgConnection>> connect();

  const PgPoolOptions options_;
  mutable std::mutex mu_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<PgConnection>> idle_;  // guarded by mu_
  int open_ = 0;                                     // guarded by mu_; idle + on loan + connecting
  std::int64_t retry_connect_at_ms_ = 0;             // guarded by mu_
  std::string last_connect_error_;                   // guarded by mu_
};

}  // namespace fastchat::store::postgres
