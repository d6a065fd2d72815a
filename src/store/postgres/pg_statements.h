// The PostgreSQL store's SQL: every statement it runs on the hot paths, prepared once
// per connection (PgConnectOptions::statements) and sent by index. Parameters are
// typed in the SQL ($1::int8) because they travel in binary format without types.
// Constant data; no state.
#pragma once

#include <span>

#include "store/postgres/pg_connection.h"

namespace fastchat::store::postgres {

enum class Sql : int {
  // accounts and sessions
  kCreateUser,
  kSetLoginKey,
  kFindUserByName,
  kFindUserById,
  kListUsers,
  kUserExists,
  kPurgeSessions,
  kInsertSession,
  kFindSession,
  kRevokeSessionsExcept,
  kDeleteSession,
  kClaimServerKey,
  // groups
  kCreateGroup,
  kLoadGroup,
  kListGroups,
  kCountGroups,
  kLockGroup,
  kAddMember,
  kRemoveMember,
  kPromoteOldest,
  // the group commit
  kLockGroups,
  kGroupMembers,
  kChainLengths,
  kLockUsers,
  kFindOriginals,
  kInsertMessages,
  kInsertInbox,
  kStoreLastSeqs,
  // inboxes
  kReadInbox,
  kLockAckers,
  kAdvanceAcks,
  kLockReleased,
  kReleaseInbox,
  // housekeeping
  kPurgeTombstones,
  kCount
};

// The SQL of each Sql, in order.
std::span<const char* const> prepared_statements();

inline void send(PgConnection& db, Sql sql, const PgParams& params = PgParams()) {
  db.send(static_cast<int>(sql), params);
}

}  // namespace fastchat::store::postgres
