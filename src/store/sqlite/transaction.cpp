#include "store/sqlite/transaction.h"

namespace fastchat::store::sqlite {

Result<Transaction> Transaction::begin(Connection& db) {
  auto begin = db.prepare("BEGIN IMMEDIATE");
  if (!begin) return begin.status();
  if (Status s = begin->run(); !s) return s;
  return Transaction(db);
}

Transaction::~Transaction() {
  rollback();
}

Status Transaction::commit() {
  if (db_ == nullptr) return {Code::kInternal, "transaction already finished"};
  Status status;
  {
    auto commit = db_->prepare("COMMIT");
    status = commit ? commit->run() : commit.status();
  }
  if (status) {
    db_ = nullptr;
    return status;
  }
  rollback();
  return status;
}

void Transaction::rollback() {
  if (db_ == nullptr) return;
  // SQLite may have rolled back by itself already (after an I/O error, for instance).
  if (db_->in_transaction()) {
    auto rollback = db_->prepare("ROLLBACK");
    if (rollback) (void)rollback->run();
  }
  db_ = nullptr;
}

}  // namespace fastchat::store::sqlite
