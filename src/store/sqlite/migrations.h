// The embedded store's schema: a numbered list of migrations, applied in order, each in
// its own transaction together with its PRAGMA user_version bump, so a crash leaves the
// database at one version or the next, never in between.
// Not thread-safe: run on the writer connection before any other connection reads.
#pragma once

#include "common/status.h"
#include "store/sqlite/connection.h"

namespace fastchat::store::sqlite {

// The version this build writes and expects (the number of migrations).
inline constexpr int kSchemaVersion = 10;

// Brings `db` from its current version up to `target` (the latest unless a test wants an
// older schema). A database newer than this build is refused with kInternal; opening it
// would misread it.
Status migrate(Connection& db, int target = kSchemaVersion);

// PRAGMA user_version: 0 for an empty database.
Result<int> schema_version(Connection& db);

}  // namespace fastchat::store::sqlite
