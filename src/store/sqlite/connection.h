// Connection: one SQLite database connection (RAII over sqlite3*) with its cache of
// prepared statements.
// Thread-compatible: one thread at a time (its owner's lock or a pool lease); opened in
// SQLite's multi-thread mode, so SQLite takes no lock of its own.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "common/status.h"
#include "store/sqlite/statement.h"

struct sqlite3;
struct sqlite3_stmt;

namespace fastchat::store::sqlite {

class Connection {
 public:
  enum class Access { kReadWrite, kReadOnly };
  struct Options {
    Access access = Access::kReadWrite;
    bool create = false;  // create the file when missing (read-write only)
    int busy_timeout_ms = 5000;
  };

  static Result<std::unique_ptr<Connection>> open(const std::string& path, const Options& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements without parameters (DDL, pragmas, BEGIN/COMMIT).
  Status exec(const char* sql);
  // The cached prepared statement for `sql`, prepared on first use. The cache is keyed by
  // the pointer, so `sql` must have static storage (a string literal). One Statement per
  // SQL text may be alive at a time.
  Result<Statement> prepare(const char* sql);
  // First column of the first row of an uncached query (pragmas, tests, diagnostics).
  Result<std::int64_t> query_int64(const char* sql);
  Result<std::string> query_text(const char* sql);

  std::int64_t last_insert_rowid() const;
  // Rows changed by the last completed INSERT, UPDATE or DELETE.
  std::int64_t changes() const;
  bool in_transaction() const;
  const std::string& path() const { return path_; }

 private:
  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };

  Connection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Status error(int rc, std::string_view context) const;

  sqlite3* db_;
  std::string path_;
  std::unordered_map<const char*, Cached> cache_;  // node-based: Cached addresses are stable
};

}  // namespace fastchat::store::sqlite
