// Statement: one use of a prepared SQLite statement that its Connection owns and caches.
// Bind, step through rows, read columns; the destructor resets the statement (ending any
// read it had open) and drops its bindings.
// Thread-compatible: only the thread that holds the connection may use it.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"

struct sqlite3_stmt;

namespace fastchat::store::sqlite {

enum class Step { kRow, kDone, kError };

class Statement {
 public:
  // `in_use` is the cache's flag for this statement, cleared again on destruction.
  Statement(sqlite3_stmt* stmt, bool* in_use) : stmt_(stmt), in_use_(in_use) {}
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters are 1-based (?1, ?2, ...). Text and blobs are not copied: they must stay
  // valid until the statement is reset, rebound or destroyed. A failed bind makes the
  // next step() fail with its error.
  void bind_int64(int index, std::int64_t value);
  void bind_text(int index, std::string_view value);
  void bind_blob(int index, std::string_view value);  // an empty view binds x'' (not NULL)
  void bind_null(int index);

  Step step();
  // Steps once and expects completion without rows (INSERT, UPDATE, DELETE).
  Status run();
  // Makes the statement ready to be bound and stepped again.
  void reset();

  // Columns are 0-based; views stay valid until the next step, reset or destruction.
  std::int64_t column_int64(int col) const;
  std::string_view column_blob(int col) const;
  std::string_view column_text(int col) const;
  bool column_is_null(int col) const;

  // The last failure of a bind or step as a Status, and its extended SQLite code (0: none).
  Status error() const;
  int error_code() const { return rc_; }

 private:
  sqlite3_stmt* stmt_;
  bool* in_use_;
  int rc_ = 0;
};

}  // namespace fastchat::store::sqlite
