#include "store/postgres/pg_membership.h"

#include "store/sql_int.h"

namespace fastchat::store::postgres {
namespace {

constexpr char kForeignKeyViolation[] = "23503";

// Appends to one group run one at a time: the group row is taken as add_member does.
constexpr char kLockGroup[] = "SELECT 1 FROM chat_groups WHERE id = $1::int8 FOR NO KEY UPDATE";
constexpr char kLastSeq[] =
    "SELECT coalesce(max(seq), 0) FROM group_membership WHERE group_id = $1::int8";
constexpr char kInsertRecord[] =
    "INSERT INTO group_membership (group_id, seq, record) VALUES ($1::int8, $2::int8, $3::bytea)";
// As the prepared kAddMember, kRemoveMember and kPromoteOldest (pg_statements.cpp).
constexpr char kAddMember[] =
    "INSERT INTO group_members (group_id, user_id, admin) "
    "SELECT $1::int8, $2::int8, "
    "NOT EXISTS (SELECT 1 FROM group_members WHERE group_id = $1::int8 AND admin) "
    "ON CONFLICT (group_id, user_id) DO NOTHING";
constexpr char kRemoveMember[] =
    "DELETE FROM group_members WHERE group_id = $1::int8 AND user_id = $2::int8";
constexpr char kPromoteOldest[] =
    "UPDATE group_members SET admin = true "
    "WHERE id = (SELECT min(id) FROM group_members WHERE group_id = $1::int8) "
    "AND NOT EXISTS (SELECT 1 FROM group_members WHERE group_id = $1::int8 AND admin)";
constexpr char kReadRecords[] =
    "SELECT seq, record FROM group_membership WHERE group_id = $1::int8 AND seq > $2::int8 "
    "ORDER BY seq LIMIT $3::int8";
constexpr char kLastRecord[] =
    "SELECT seq, record FROM group_membership WHERE group_id = $1::int8 "
    "ORDER BY seq DESC LIMIT 1";
constexpr char kBlock[] =
    "INSERT INTO blocks (user_id, blocked_id, created_ms) VALUES ($1::int8, $2::int8, $3::int8) "
    "ON CONFLICT (user_id, blocked_id) DO NOTHING";
constexpr char kUnblock[] = "DELETE FROM blocks WHERE user_id = $1::int8 AND blocked_id = $2::int8";
constexpr char kUsersExist[] = "SELECT count(*) FROM users WHERE id IN ($1::int8, $2::int8)";
constexpr char kListBlocked[] =
    "SELECT u.username FROM blocks AS b JOIN users AS u ON u.id = b.blocked_id "
    "WHERE b.user_id = $1::int8 ORDER BY u.username LIMIT $2::int8";
constexpr char kWhichBlock[] =
    "SELECT s.id, b.user_id IS NOT NULL FROM unnest($1::int8[]) WITH ORDINALITY AS s (id, n) "
    "LEFT JOIN blocks AS b ON b.user_id = s.id AND b.blocked_id = $2::int8 ORDER BY s.n";

Status fail(PgConnection& db, Status status) {
  db.rollback();
  return status;
}

}  // namespace

Status append_membership(PgConnection& db, const MembershipAppend& append) {
  const auto group = clamp_to_int64(append.group);
  std::vector<PgResult> results;
  db.send_sql("BEGIN");
  db.send_sql(kLockGroup, PgParams().int64(group));
  db.send_sql(kLastSeq, PgParams().int64(group));
  if (Status s = db.sync(results); !s) return fail(db, s);
  if (results[1].rows() == 0) return fail(db, Status(Code::kUnknownGroup, "unknown group"));
  if (static_cast<std::uint64_t>(results[2].int64(0, 0)) + 1 != append.seq) {
    return fail(db, Status(Code::kMembershipChanged, "the group's membership changed meanwhile"));
  }
  db.send_sql(kInsertRecord,
              PgParams().int64(group).int64(clamp_to_int64(append.seq)).bytes(append.record));
  switch (append.change) {
    case MembershipAppend::Change::kNone:
      break;
    case MembershipAppend::Change::kAdd:
      db.send_sql(kAddMember, PgParams().int64(group).int64(append.subject));
      break;
    case MembershipAppend::Change::kRemove:
      db.send_sql(kRemoveMember, PgParams().int64(group).int64(append.subject));
      db.send_sql(kPromoteOldest, PgParams().int64(group));
      break;
  }
  db.send_sql("COMMIT");
  if (Status s = db.sync(); !s) {
    if (db.sqlstate() == kForeignKeyViolation) {
      return fail(db, Status(Code::kUnknownUser, "unknown user"));
    }
    return fail(db, s);
  }
  return {};
}

Result<std::vector<MembershipEntry>> read_membership(PgConnection& db, GroupId group,
                                                     std::uint64_t after_seq, std::size_t limit) {
  std::vector<PgResult> results;
  db.send_sql(kReadRecords, PgParams()
                                .int64(clamp_to_int64(group))
                                .int64(clamp_to_int64(after_seq))
                                .int64(clamp_to_int64(limit)));
  if (Status s = db.sync(results); !s) return s;
  std::vector<MembershipEntry> entries;
  for (int row = 0; row < results[0].rows(); ++row) {
    entries.push_back(
        {static_cast<std::uint64_t>(results[0].int64(row, 0)), results[0].text(row, 1)});
  }
  return entries;
}

Result<MembershipEntry> last_membership(PgConnection& db, GroupId group) {
  std::vector<PgResult> results;
  db.send_sql(kLastRecord, PgParams().int64(clamp_to_int64(group)));
  if (Status s = db.sync(results); !s) return s;
  if (results[0].rows() == 0) return MembershipEntry{};
  return MembershipEntry{static_cast<std::uint64_t>(results[0].int64(0, 0)), results[0].text(0, 1)};
}

Status set_blocked(PgConnection& db, UserId user, UserId blocked, bool block, std::int64_t now_ms) {
  std::vector<PgResult> results;
  db.send_sql(kUsersExist, PgParams().int64(user).int64(blocked));
  if (Status s = db.sync(results); !s) return s;
  if (results[0].int64(0, 0) != (user == blocked ? 1 : 2)) {
    return {Code::kUnknownUser, "unknown user"};
  }
  if (block) {
    db.send_sql(kBlock, PgParams().int64(user).int64(blocked).int64(now_ms));
  } else {
    db.send_sql(kUnblock, PgParams().int64(user).int64(blocked));
  }
  if (Status s = db.sync(); !s) {
    if (db.sqlstate() == kForeignKeyViolation) return {Code::kUnknownUser, "unknown user"};
    return s;
  }
  return {};
}

Result<std::vector<std::string>> list_blocked(PgConnection& db, UserId user, std::size_t limit) {
  std::vector<PgResult> results;
  db.send_sql(kListBlocked, PgParams().int64(user).int64(clamp_to_int64(limit)));
  if (Status s = db.sync(results); !s) return s;
  std::vector<std::string> names;
  for (int row = 0; row < results[0].rows(); ++row)
    names.push_back(results[0].text(row, 0));
  return names;
}

Result<std::vector<bool>> which_block(PgConnection& db, std::span<const UserId> users,
                                      UserId other) {
  const std::vector<std::int64_t> ids(users.begin(), users.end());
  std::vector<PgResult> results;
  db.send_sql(kWhichBlock, PgParams().int64_array(ids).int64(other));
  if (Status s = db.sync(results); !s) return s;
  std::vector<bool> out;
  for (int row = 0; row < results[0].rows(); ++row)
    out.push_back(results[0].boolean(row, 1));
  return out;
}

}  // namespace fastchat::store::postgres
