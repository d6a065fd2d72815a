// ConnectionPool: a fixed set of read-only connections to one database, lent out one
// at a time. WAL lets them read concurrently with each other and with the writer.
// Thread-safe. A Lease must not outlive its pool.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/sqlite/connection.h"

namespace fastchat::store::sqlite {

class ConnectionPool {
 public:
  // Opens `size` (at least 1) connections; `setup` runs once on each (pragmas).
  static Result<std::unique_ptr<ConnectionPool>> open(const std::string& path, int size,
                                                      const Connection::Options& options,
                                                      Status (*setup)(Connection&));

  class Lease {
   public:
    Lease(ConnectionPool& pool, Connection& db) : pool_(&pool), db_(&db) {}
    Lease(Lease&& other) noexcept : pool_(other.pool_), db_(other.db_) { other.pool_ = nullptr; }
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (pool_ != nullptr) pool_->give_back(*db_);
    }
    Connection& operator*() const { return *db_; }
    Connection* operator->() const { return db_; }

   private:
    ConnectionPool* pool_;
    Connection* db_;
  };

  // Waits while every connection is lent out (the lock is held only to take one).
  Lease acquire();

 private:
  ConnectionPool() = default;
  void give_back(Connection& db);

  std::vector<std::unique_ptr<Connection>> all_;
  std::mutex mu_;
  std::condition_variable available_;
  std::vector<Connection*> free_;  // guarded by mu_
};

}  // namespace fastchat::store::sqlite
