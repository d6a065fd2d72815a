// The PostgreSQL store's signed-membership chains and blocks (PostgresStore's methods
// run these on a pooled connection; store.h says what each promises). Not on a hot
// path, so their SQL is sent as text rather than prepared. Stateless.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "store/postgres/pg_connection.h"
#include "store/store.h"

namespace fastchat::store::postgres {

Status append_membership(PgConnection& db, const MembershipAppend& append);
Result<std::vector<MembershipEntry>> read_membership(PgConnection& db, GroupId group,
                                                     std::uint64_t after_seq, std::size_t limit);
Result<MembershipEntry> last_membership(PgConnection& db, GroupId group);
Status set_blocked(PgConnection& db, UserId user, UserId blocked, bool block, std::int64_t now_ms);
Result<std::vector<std::string>> list_blocked(PgConnection& db, UserId user, std::size_t limit);
Result<std::vector<bool>> which_block(PgConnection& db, std::span<const UserId> users,
                                      UserId other);

}  // namespace fastchat::store::postgres
