// Small queries shared by the SQLite store's read and write paths. Each runs on the
// connection it is given and is thread-compatible like that connection.
#pragma once

#include "common/status.h"
#include "store/sql_int.h"
#include "store/sqlite/connection.h"
#include "store/store.h"

namespace fastchat::store::sqlite {

Result<bool> user_exists(Connection& db, UserId id);
Result<bool> group_exists(Connection& db, GroupId id);
// The group with its members in order of joining; kUnknownGroup when there is none.
Result<GroupRecord> load_group(Connection& db, GroupId id);

}  // namespace fastchat::store::sqlite
