// SqliteStore's signed-membership chains and blocks (the rest of the class is in
// sqlite_store.cpp and sqlite_store_groups.cpp). Writes run under the writer lock in
// one transaction, so a record and the member change it names commit together.
#include <string>

#include "store/sql_int.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/connection_pool.h"
#include "store/sqlite/lookups.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/transaction.h"

namespace fastchat::store::sqlite {
namespace {

constexpr char kLastSeq[] =
    "SELECT coalesce(max(seq), 0) FROM group_membership WHERE group_id = ?1";
constexpr char kInsertRecord[] =
    "INSERT INTO group_membership (group_id, seq, record) VALUES (?1, ?2, ?3)";
constexpr char kReadRecords[] =
    "SELECT seq, record FROM group_membership WHERE group_id = ?1 AND seq > ?2 "
    "ORDER BY seq LIMIT ?3";
constexpr char kLastRecord[] =
    "SELECT seq, record FROM group_membership WHERE group_id = ?1 ORDER BY seq DESC LIMIT 1";
// As add_member and remove_member (sqlite_store_groups.cpp).
constexpr char kAddMember[] =
    "INSERT INTO group_members (group_id, user_id, admin) VALUES (?1, ?2, "
    "NOT EXISTS (SELECT 1 FROM group_members WHERE group_id = ?1 AND admin)) "
    "ON CONFLICT (group_id, user_id) DO NOTHING";
constexpr char kRemoveMember[] = "DELETE FROM group_members WHERE group_id = ?1 AND user_id = ?2";
constexpr char kPromoteOldest[] =
    "UPDATE group_members SET admin = 1 "
    "WHERE id = (SELECT min(id) FROM group_members WHERE group_id = ?1) "
    "AND NOT EXISTS (SELECT 1 FROM group_members WHERE group_id = ?1 AND admin)";
constexpr char kBlock[] =
    "INSERT INTO blocks (user_id, blocked_id, created_ms) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (user_id, blocked_id) DO NOTHING";
constexpr char kUnblock[] = "DELETE FROM blocks WHERE user_id = ?1 AND blocked_id = ?2";
constexpr char kListBlocked[] =
    "SELECT u.username FROM blocks AS b JOIN users AS u ON u.id = b.blocked_id "
    "WHERE b.user_id = ?1 ORDER BY u.username LIMIT ?2";
constexpr char kIsBlocked[] = "SELECT 1 FROM blocks WHERE user_id = ?1 AND blocked_id = ?2";

Status run_pair(Connection& db, const char* sql, std::int64_t a, std::int64_t b) {
  auto statement = db.prepare(sql);
  if (!statement) return statement.status();
  statement->bind_int64(1, a);
  statement->bind_int64(2, b);
  return statement->run();
}

}  // namespace

Status SqliteStore::append_membership(const MembershipAppend& append) {
  std::lock_guard lock(writer_mu_);
  auto txn = Transaction::begin(*writer_);
  if (!txn) return txn.status();
  const auto group = clamp_to_int64(append.group);
  {
    auto found = group_exists(*writer_, append.group);
    if (!found) return found.status();
    if (!*found) return {Code::kUnknownGroup, "unknown group"};
    auto last = writer_->prepare(kLastSeq);
    if (!last) return last.status();
    last->bind_int64(1, group);
    if (last->step() != Step::kRow) return last->error();
    if (static_cast<std::uint64_t>(last->column_int64(0)) + 1 != append.seq) {
      return {Code::kMembershipChanged, "the group's membership changed meanwhile"};
    }
    auto insert = writer_->prepare(kInsertRecord);
    if (!insert) return insert.status();
    insert->bind_int64(1, group);
    insert->bind_int64(2, clamp_to_int64(append.seq));
    insert->bind_blob(3, append.record);
    if (Status s = insert->run(); !s) return s;
  }
  switch (append.change) {
    case MembershipAppend::Change::kNone:
      break;
    case MembershipAppend::Change::kAdd: {
      auto user_found = user_exists(*writer_, append.subject);
      if (!user_found) return user_found.status();
      if (!*user_found) return {Code::kUnknownUser, "unknown user"};
      if (Status s = run_pair(*writer_, kAddMember, group, append.subject); !s) return s;
      break;
    }
    case MembershipAppend::Change::kRemove: {
      if (Status s = run_pair(*writer_, kRemoveMember, group, append.subject); !s) return s;
      auto promote = writer_->prepare(kPromoteOldest);
      if (!promote) return promote.status();
      promote->bind_int64(1, group);
      if (Status s = promote->run(); !s) return s;
      break;
    }
  }
  return txn->commit();
}

Result<std::vector<MembershipEntry>> SqliteStore::read_membership(GroupId group,
                                                                  std::uint64_t after_seq,
                                                                  std::size_t limit) {
  auto db = readers_->acquire();
  auto select = db->prepare(kReadRecords);
  if (!select) return select.status();
  select->bind_int64(1, clamp_to_int64(group));
  select->bind_int64(2, clamp_to_int64(after_seq));
  select->bind_int64(3, clamp_to_int64(limit));
  std::vector<MembershipEntry> entries;
  Step step;
  while ((step = select->step()) == Step::kRow) {
    entries.push_back(
        {static_cast<std::uint64_t>(select->column_int64(0)), std::string(select->column_blob(1))});
  }
  if (step == Step::kError) return select->error();
  return entries;
}

Result<MembershipEntry> SqliteStore::last_membership(GroupId group) {
  auto db = readers_->acquire();
  auto select = db->prepare(kLastRecord);
  if (!select) return select.status();
  select->bind_int64(1, clamp_to_int64(group));
  switch (select->step()) {
    case Step::kRow:
      return MembershipEntry{static_cast<std::uint64_t>(select->column_int64(0)),
                             std::string(select->column_blob(1))};
    case Step::kDone:
      return MembershipEntry{};
    case Step::kError:
      break;
  }
  return select->error();
}

Status SqliteStore::set_blocked(UserId user, UserId blocked, bool block, std::int64_t now_ms) {
  std::lock_guard lock(writer_mu_);
  auto txn = Transaction::begin(*writer_);
  if (!txn) return txn.status();
  for (UserId id : {user, blocked}) {
    auto found = user_exists(*writer_, id);
    if (!found) return found.status();
    if (!*found) return {Code::kUnknownUser, "unknown user"};
  }
  if (block) {
    auto insert = writer_->prepare(kBlock);
    if (!insert) return insert.status();
    insert->bind_int64(1, user);
    insert->bind_int64(2, blocked);
    insert->bind_int64(3, now_ms);
    if (Status s = insert->run(); !s) return s;
  } else if (Status s = run_pair(*writer_, kUnblock, user, blocked); !s) {
    return s;
  }
  return txn->commit();
}

Result<std::vector<std::string>> SqliteStore::list_blocked(UserId user, std::size_t limit) {
  auto db = readers_->acquire();
  auto select = db->prepare(kListBlocked);
  if (!select) return select.status();
  select->bind_int64(1, user);
  select->bind_int64(2, clamp_to_int64(limit));
  std::vector<std::string> names;
  Step step;
  while ((step = select->step()) == Step::kRow)
    names.emplace_back(select->column_text(0));
  if (step == Step::kError) return select->error();
  return names;
}

Result<std::vector<bool>> SqliteStore::which_block(std::span<const UserId> users, UserId other) {
  auto db = readers_->acquire();
  auto select = db->prepare(kIsBlocked);
  if (!select) return select.status();
  std::vector<bool> out;
  out.reserve(users.size());
  for (UserId user : users) {
    select->reset();
    select->bind_int64(1, user);
    select->bind_int64(2, other);
    const Step step = select->step();
    if (step == Step::kError) return select->error();
    out.push_back(step == Step::kRow);
  }
  return out;
}

}  // namespace fastchat::store::sqlite
