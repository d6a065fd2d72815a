#include "store/sqlite/connection.h"

#include <sqlite3.h>

#include <cassert>

#include "store/sqlite/sqlite_error.h"

namespace fastchat::store::sqlite {

Result<std::unique_ptr<Connection>> Connection::open(const std::string& path,
                                                     const Options& options) {
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  if (options.access == Access::kReadOnly) {
    flags |= SQLITE_OPEN_READONLY;
  } else {
    flags |= SQLITE_OPEN_READWRITE;
    if (options.create) flags |= SQLITE_OPEN_CREATE;
  }
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status status = sqlite_status(rc, db != nullptr ? sqlite3_errmsg(db) : "", "open " + path);
    sqlite3_close_v2(db);
    return status;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  // Defensive: no writable_schema or other ways for SQL to corrupt the file; the schema
  // itself is not trusted to call functions with side effects.
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  return std::unique_ptr<Connection>(new Connection(db, path));
}

Connection::~Connection() {
  for (auto& [sql, cached] : cache_) {
    assert(!cached.in_use);
    sqlite3_finalize(cached.stmt);
  }
  // An open transaction (only after a failed rollback) is rolled back by close.
  sqlite3_close_v2(db_);
}

Status Connection::error(int rc, std::string_view context) const {
  return sqlite_status(rc, sqlite3_errmsg(db_), context);
}

Status Connection::exec(const char* sql) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return error(rc, "exec");
  return {};
}

Result<Statement> Connection::prepare(const char* sql) {
  auto [it, inserted] = cache_.try_emplace(sql);
  Cached& cached = it->second;
  if (inserted) {
    const int rc =
        sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &cached.stmt, nullptr);
    if (rc != SQLITE_OK || cached.stmt == nullptr) {
      sqlite3_finalize(cached.stmt);
      cache_.erase(it);
      return error(rc != SQLITE_OK ? rc : SQLITE_MISUSE, "prepare");
    }
  }
  // Two live uses of one statement would reset each other: a bug in the caller.
  assert(!cached.in_use);
  cached.in_use = true;
  return Statement(cached.stmt, &cached.in_use);
}

Result<std::int64_t> Connection::query_int64(const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr);
  if (rc != SQLITE_OK) return error(rc, "prepare");
  rc = sqlite3_step(stmt);
  std::int64_t value = 0;
  if (rc == SQLITE_ROW) value = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  if (rc == SQLITE_ROW) return value;
  if (rc == SQLITE_DONE) return Result<std::int64_t>(Code::kInternal, "query returned no row");
  return error(rc, "query");
}

Result<std::string> Connection::query_text(const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr);
  if (rc != SQLITE_OK) return error(rc, "prepare");
  rc = sqlite3_step(stmt);
  std::string value;
  if (rc == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt, 0);
    if (text != nullptr) {
      value.assign(reinterpret_cast<const char*>(text),
                   static_cast<std::size_t>(sqlite3_column_bytes(stmt, 0)));
    }
  }
  sqlite3_finalize(stmt);
  if (rc == SQLITE_ROW) return value;
  if (rc == SQLITE_DONE) return Result<std::string>(Code::kInternal, "query returned no row");
  return error(rc, "query");
}

std::int64_t Connection::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_);
}

std::int64_t Connection::changes() const {
  return sqlite3_changes64(db_);
}

bool Connection::in_transaction() const {
  return sqlite3_get_autocommit(db_) == 0;
}

}  // namespace fastchat::store::sqlite
