#include "store/sqlite/statement.h"

#include <sqlite3.h>

#include <string>

#include "store/sqlite/sqlite_error.h"

namespace fastchat::store::sqlite {

Statement::Statement(Statement&& other) noexcept
    : stmt_(other.stmt_), in_use_(other.in_use_), rc_(other.rc_) {
  other.stmt_ = nullptr;
  other.in_use_ = nullptr;
}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  *in_use_ = false;
}

void Statement::bind_int64(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && rc_ == 0) rc_ = rc;
}

void Statement::bind_text(int index, std::string_view value) {
  // A non-null pointer even for "" so that SQLite binds an empty text, not NULL.
  const char* data = value.data() != nullptr ? value.data() : "";
  const int rc = sqlite3_bind_text64(stmt_, index, data, value.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK && rc_ == 0) rc_ = rc;
}

void Statement::bind_blob(int index, std::string_view value) {
  const int rc = value.empty()
                     ? sqlite3_bind_zeroblob(stmt_, index, 0)
                     : sqlite3_bind_blob64(stmt_, index, value.data(), value.size(), SQLITE_STATIC);
  if (rc != SQLITE_OK && rc_ == 0) rc_ = rc;
}

void Statement::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && rc_ == 0) rc_ = rc;
}

Step Statement::step() {
  if (rc_ != 0) return Step::kError;
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return Step::kRow;
  if (rc == SQLITE_DONE) return Step::kDone;
  rc_ = rc;
  return Step::kError;
}

Status Statement::run() {
  switch (step()) {
    case Step::kDone:
      return {};
    case Step::kRow:
      return {Code::kInternal, "statement returned rows where none were expected"};
    case Step::kError:
      break;
  }
  return error();
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  rc_ = 0;
}

std::int64_t Statement::column_int64(int col) const {
  return sqlite3_column_int64(stmt_, col);
}

std::string_view Statement::column_blob(int col) const {
  const void* data = sqlite3_column_blob(stmt_, col);
  const int size = sqlite3_column_bytes(stmt_, col);
  if (data == nullptr || size <= 0) return {};
  return {static_cast<const char*>(data), static_cast<std::size_t>(size)};
}

std::string_view Statement::column_text(int col) const {
  const unsigned char* data = sqlite3_column_text(stmt_, col);
  const int size = sqlite3_column_bytes(stmt_, col);
  if (data == nullptr || size <= 0) return {};
  return {reinterpret_cast<const char*>(data), static_cast<std::size_t>(size)};
}

bool Statement::column_is_null(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

Status Statement::error() const {
  if (rc_ == 0) return {};
  sqlite3* db = sqlite3_db_handle(stmt_);
  // SQL text (no values: every value is a bound parameter) helps find the failing statement.
  std::string context = "sql \"";
  context.append(std::string_view(sqlite3_sql(stmt_)).substr(0, 60));
  context += '"';
  const char* message = sqlite3_errcode(db) == rc_ ? sqlite3_errmsg(db) : sqlite3_errstr(rc_);
  return sqlite_status(rc_, message, context);
}

}  // namespace fastchat::store::sqlite
