// The PostgreSQL store's schema and its migrations: a numbered, append-only list whose
// applied versions are recorded in the table schema_migrations. Each migration runs in
// its own transaction under a transaction-scoped advisory lock (per schema), so several
// servers starting at once apply each migration exactly once, and one that finds the
// work done moves on.
// Functions run on the connection they are given (one thread at a time).
#pragma once

#include "common/status.h"
#include "store/postgres/pg_connection.h"

namespace fastchat::store::postgres {

inline constexpr int kSchemaVersion = 8;

// The highest version applied (0 for an empty database).
Result<int> schema_version(PgConnection& db);

// Applies the migrations up to `target` that the database lacks. kInternal when the
// database comes from a newer build (a version above kSchemaVersion).
Status migrate(PgConnection& db, int target = kSchemaVersion);

}  // namespace fastchat::store::postgres
