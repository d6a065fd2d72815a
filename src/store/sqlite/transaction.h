// Transaction: RAII write transaction on a Connection. BEGIN IMMEDIATE when made (takes
// the database's write lock at once, so it never fails half-way on a lock upgrade); rolled
// back on destruction unless commit() succeeded.
// Thread-compatible, like its Connection.
#pragma once

#include "common/status.h"
#include "store/sqlite/connection.h"

namespace fastchat::store::sqlite {

class Transaction {
 public:
  static Result<Transaction> begin(Connection& db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  // Commits durably (with synchronous=FULL the WAL is fsync'd before this returns).
  // On failure the transaction is rolled back.
  Status commit();

 private:
  explicit Transaction(Connection& db) : db_(&db) {}
  void rollback();

  Connection* db_;  // null once committed or rolled back
};

}  // namespace fastchat::store::sqlite
