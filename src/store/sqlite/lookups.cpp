#include "store/sqlite/lookups.h"

namespace fastchat::store::sqlite {
namespace {

constexpr char kUserExists[] = "SELECT 1 FROM users WHERE id = ?1";
constexpr char kGroupExists[] = "SELECT 1 FROM chat_groups WHERE id = ?1";
// One statement, so name and members come from one snapshot; LEFT JOIN keeps a group
// whose members all left.
constexpr char kLoadGroup[] =
    "SELECT g.name, m.user_id, u.username, m.admin FROM chat_groups AS g "
    "LEFT JOIN group_members AS m ON m.group_id = g.id "
    "LEFT JOIN users AS u ON u.id = m.user_id "
    "WHERE g.id = ?1 ORDER BY m.id";

Result<bool> exists(Connection& db, const char* sql, std::int64_t id) {
  auto select = db.prepare(sql);
  if (!select) return select.status();
  select->bind_int64(1, id);
  switch (select->step()) {
    case Step::kRow:
      return true;
    case Step::kDone:
      return false;
    case Step::kError:
      break;
  }
  return select->error();
}

}  // namespace

Result<bool> user_exists(Connection& db, UserId id) {
  return exists(db, kUserExists, id);
}

Result<bool> group_exists(Connection& db, GroupId id) {
  if (!storable_group_id(id)) return false;
  return exists(db, kGroupExists, static_cast<std::int64_t>(id));
}

Result<GroupRecord> load_group(Connection& db, GroupId id) {
  if (!storable_group_id(id)) return Result<GroupRecord>(Code::kUnknownGroup, "unknown group");
  auto select = db.prepare(kLoadGroup);
  if (!select) return select.status();
  select->bind_int64(1, static_cast<std::int64_t>(id));
  GroupRecord group;
  group.id = id;
  bool found = false;
  Step step;
  while ((step = select->step()) == Step::kRow) {
    if (!found) group.name = select->column_text(0);
    found = true;
    if (select->column_is_null(1)) continue;
    GroupMemberRecord& member = group.members.emplace_back();
    member.user_id = select->column_int64(1);
    member.username = select->column_text(2);
    member.admin = select->column_int64(3) != 0;
  }
  if (step == Step::kError) return select->error();
  if (!found) return Result<GroupRecord>(Code::kUnknownGroup, "unknown group");
  return group;
}

}  // namespace fastchat::store::sqlite
