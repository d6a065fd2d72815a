#include "store/sqlite/connection_pool.h"

#include <algorithm>

namespace fastchat::store::sqlite {

Result<std::unique_ptr<ConnectionPool>> ConnectionPool::open(const std::string& path, int size,
                                                             const Connection::Options& options,
                                                             Status (*setup)(Connection&)) {
  std::unique_ptr<ConnectionPool> pool(new ConnectionPool());
  size = std::max(size, 1);
  pool->free_.reserve(static_cast<std::size_t>(size));  // give_back() never allocates
  for (int i = 0; i < size; ++i) {
    auto db = Connection::open(path, options);
    if (!db) return db.status();
    if (setup != nullptr) {
      if (Status s = setup(**db); !s) return s;
    }
    pool->free_.push_back(db->get());
    pool->all_.push_back(std::move(db).value());
  }
  return pool;
}

ConnectionPool::Lease ConnectionPool::acquire() {
  std::unique_lock lock(mu_);
  available_.wait(lock, [this] { return !free_.empty(); });
  Connection* db = free_.back();
  free_.pop_back();
  return Lease(*this, *db);
}

void ConnectionPool::give_back(Connection& db) {
  {
    std::lock_guard lock(mu_);
    free_.push_back(&db);
  }
  available_.notify_one();
}

}  // namespace fastchat::store::sqlite
