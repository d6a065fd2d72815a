// PostgresTestSchema: one test's own schema in the test database named by
// $FASTCHAT_TEST_POSTGRES_URL, created on construction and dropped, with everything in
// it, on destruction. url() is the database URL with search_path set to the schema, so
// a store opened on it sees nothing of other tests (which may run at the same time).
// Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "store/postgres/pg_connection.h"

namespace fastchat::store::test {

class PostgresTestSchema {
 public:
  // $FASTCHAT_TEST_POSTGRES_URL, or "" when the tests should not use PostgreSQL.
  static std::string base_url();
  // `url` with libpq's options parameter setting search_path to `schema`.
  static std::string with_search_path(const std::string& url, const std::string& schema);

  // Throws std::runtime_error when the schema cannot be created.
  explicit PostgresTestSchema(const std::string& base = base_url());
  ~PostgresTestSchema();
  PostgresTestSchema(const PostgresTestSchema&) = delete;
  PostgresTestSchema& operator=(const PostgresTestSchema&) = delete;

  const std::string& name() const { return name_; }
  const std::string& url() const { return url_; }

  // A plain connection to the schema (no prepared statements), to look behind a
  // store's back.
  postgres::PgConnection& db() { return *db_; }
  // Runs SQL and returns the first column of its first row as an integer (-1 on error,
  // with a test failure).
  std::int64_t query_int(const char* sql);
  // Runs SQL; a test failure when it fails.
  bool exec(const char* sql);

 private:
  std::string name_;
  std::string url_;
  std::unique_ptr<postgres::PgConnection> db_;
};

}  // namespace fastchat::store::test
