// SqliteStore's group methods (the rest of the class is in sqlite_store.cpp).
#include <string>

#include "store/sql_int.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/connection_pool.h"
#include "store/sqlite/lookups.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/transaction.h"

namespace fastchat::store::sqlite {
namespace {

constexpr char kSelectUsername[] = "SELECT username FROM users WHERE id = ?1";
constexpr char kInsertGroup[] = "INSERT INTO chat_groups (name) VALUES (?1)";
constexpr char kInsertMember[] =
    "INSERT INTO group_members (group_id, user_id, admin) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (group_id, user_id) DO NOTHING";
// A member joining a group without admins (everyone had left) becomes its admin.
constexpr char kAddMember[] =
    "INSERT INTO group_members (group_id, user_id, admin) VALUES (?1, ?2, "
    "NOT EXISTS (SELECT 1 FROM group_members WHERE group_id = ?1 AND admin)) "
    "ON CONFLICT (group_id, user_id) DO NOTHING";
constexpr char kRemoveMember[] = "DELETE FROM group_members WHERE group_id = ?1 AND user_id = ?2";
// When no admin is left, the longest-standing member (lowest id) becomes one.
constexpr char kPromoteOldest[] =
    "UPDATE group_members SET admin = 1 "
    "WHERE id = (SELECT min(id) FROM group_members WHERE group_id = ?1) "
    "AND NOT EXISTS (SELECT 1 FROM group_members WHERE group_id = ?1 AND admin)";
constexpr char kListGroups[] =
    "SELECT g.id, g.name, m.user_id, u.username, m.admin FROM group_members AS me "
    "JOIN chat_groups AS g ON g.id = me.group_id "
    "JOIN group_members AS m ON m.group_id = me.group_id "
    "JOIN users AS u ON u.id = m.user_id "
    "WHERE me.user_id = ?1 AND me.group_id IN (SELECT group_id FROM group_members "
    "  WHERE user_id = ?1 AND group_id > ?2 ORDER BY group_id LIMIT ?3) "
    "ORDER BY g.id, m.id";
constexpr char kCountGroups[] = "SELECT count(*) FROM group_members WHERE user_id = ?1";

Result<std::string> username_of(Connection& db, UserId id) {
  auto select = db.prepare(kSelectUsername);
  if (!select) return select.status();
  select->bind_int64(1, id);
  switch (select->step()) {
    case Step::kRow:
      return std::string(select->column_text(0));
    case Step::kDone:
      return Result<std::string>(Code::kUnknownUser, "unknown user " + std::to_string(id));
    case Step::kError:
      break;
  }
  return select->error();
}

// Inserts a member unless present; `added` says whether it was new.
Status insert_member(Connection& db, GroupId group, UserId user, bool admin, bool& added) {
  auto insert = db.prepare(kInsertMember);
  if (!insert) return insert.status();
  insert->bind_int64(1, static_cast<std::int64_t>(group));
  insert->bind_int64(2, user);
  insert->bind_int64(3, admin ? 1 : 0);
  if (Status s = insert->run(); !s) return s;
  added = db.changes() == 1;
  return {};
}

}  // namespace

Result<GroupRecord> SqliteStore::create_group(std::string_view name, UserId creator,
                                              std::span<const UserId> members) {
  std::lock_guard lock(writer_mu_);
  auto txn = Transaction::begin(*writer_);
  if (!txn) return txn.status();
  GroupRecord group;
  group.name = name;
  {
    auto creator_name = username_of(*writer_, creator);
    if (!creator_name) return creator_name.status();
    auto insert = writer_->prepare(kInsertGroup);
    if (!insert) return insert.status();
    insert->bind_text(1, name);
    if (Status s = insert->run(); !s) return s;
    group.id = static_cast<GroupId>(writer_->last_insert_rowid());

    bool added = false;
    if (Status s = insert_member(*writer_, group.id, creator, true, added); !s) return s;
    group.members.push_back({creator, std::move(creator_name).value(), true});
    for (UserId user : members) {
      auto username = username_of(*writer_, user);
      if (!username) return username.status();  // nothing is created
      if (Status s = insert_member(*writer_, group.id, user, false, added); !s) return s;
      if (added) group.members.push_back({user, std::move(username).value(), false});
    }
  }
  if (Status s = txn->commit(); !s) return s;
  return group;
}

Result<GroupRecord> SqliteStore::get_group(GroupId id) {
  auto db = readers_->acquire();
  return load_group(*db, id);
}

Result<std::vector<GroupRecord>> SqliteStore::list_groups(UserId member, GroupId after_group_id,
                                                          std::size_t limit) {
  std::vector<GroupRecord> groups;
  auto db = readers_->acquire();
  {
    auto select = db->prepare(kListGroups);
    if (!select) return select.status();
    select->bind_int64(1, member);
    select->bind_int64(2, clamp_to_int64(after_group_id));
    select->bind_int64(3, clamp_to_int64(limit));
    Step step;
    while ((step = select->step()) == Step::kRow) {
      const auto id = static_cast<GroupId>(select->column_int64(0));
      if (groups.empty() || groups.back().id != id) {
        GroupRecord& group = groups.emplace_back();
        group.id = id;
        group.name = select->column_text(1);
      }
      GroupMemberRecord& record = groups.back().members.emplace_back();
      record.user_id = select->column_int64(2);
      record.username = select->column_text(3);
      record.admin = select->column_int64(4) != 0;
    }
    if (step == Step::kError) return select->error();
  }
  if (groups.empty()) {
    auto exists = user_exists(*db, member);
    if (!exists) return exists.status();
    if (!*exists) return Result<std::vector<GroupRecord>>(Code::kUnknownUser, "unknown user");
  }
  return groups;
}

Result<std::vector<std::size_t>> SqliteStore::count_groups(std::span<const UserId> users) {
  std::vector<std::size_t> counts;
  counts.reserve(users.size());
  auto db = readers_->acquire();
  auto select = db->prepare(kCountGroups);
  if (!select) return select.status();
  for (UserId user : users) {
    select->reset();
    select->bind_int64(1, user);
    if (select->step() != Step::kRow) return select->error();
    counts.push_back(static_cast<std::size_t>(select->column_int64(0)));
  }
  return counts;
}

Status SqliteStore::add_member(GroupId group, UserId user) {
  std::lock_guard lock(writer_mu_);
  auto txn = Transaction::begin(*writer_);
  if (!txn) return txn.status();
  {
    auto group_found = group_exists(*writer_, group);
    if (!group_found) return group_found.status();
    if (!*group_found) return {Code::kUnknownGroup, "unknown group"};
    auto user_found = user_exists(*writer_, user);
    if (!user_found) return user_found.status();
    if (!*user_found) return {Code::kUnknownUser, "unknown user"};
    auto insert = writer_->prepare(kAddMember);
    if (!insert) return insert.status();
    insert->bind_int64(1, static_cast<std::int64_t>(group));
    insert->bind_int64(2, user);
    if (Status s = insert->run(); !s) return s;
  }
  return txn->commit();
}

Status SqliteStore::remove_member(GroupId group, UserId user) {
  std::lock_guard lock(writer_mu_);
  auto txn = Transaction::begin(*writer_);
  if (!txn) return txn.status();
  {
    auto group_found = group_exists(*writer_, group);
    if (!group_found) return group_found.status();
    if (!*group_found) return {Code::kUnknownGroup, "unknown group"};
    auto remove = writer_->prepare(kRemoveMember);
    if (!remove) return remove.status();
    remove->bind_int64(1, static_cast<std::int64_t>(group));
    remove->bind_int64(2, user);
    if (Status s = remove->run(); !s) return s;
    if (writer_->changes() == 0) return {};  // not a member: nothing to do (rolled back)
    auto promote = writer_->prepare(kPromoteOldest);
    if (!promote) return promote.status();
    promote->bind_int64(1, static_cast<std::int64_t>(group));
    if (Status s = promote->run(); !s) return s;
  }
  return txn->commit();
}

}  // namespace fastchat::store::sqlite
