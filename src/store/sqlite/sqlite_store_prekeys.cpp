// SqliteStore's E2EE v2 prekey methods (the rest of the class is in sqlite_store.cpp).
// Every write runs under the writer lock in one transaction, so taking a one-time
// prekey (read, then delete) cannot hand the same one out twice.
#include <string>

#include "store/sqlite/connection.h"
#include "store/sqlite/connection_pool.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/transaction.h"

namespace fastchat::store::sqlite {
namespace {

constexpr char kUserExists[] = "SELECT 1 FROM users WHERE id = ?1";
constexpr char kOtherDevices[] =
    "SELECT count(*) FROM signed_prekeys WHERE user_id = ?1 AND device_id <> ?2";
constexpr char kDeviceStored[] =
    "SELECT count(*) FROM signed_prekeys WHERE user_id = ?1 AND device_id = ?2";
constexpr char kDeleteOneTime[] =
    "DELETE FROM one_time_prekeys WHERE user_id = ?1 AND device_id = ?2";
constexpr char kUpsertSigned[] =
    "INSERT INTO signed_prekeys (user_id, device_id, key_id, public_key, signature, updated_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (user_id, device_id) DO UPDATE SET "
    "key_id = excluded.key_id, public_key = excluded.public_key, "
    "signature = excluded.signature, updated_ms = excluded.updated_ms";
constexpr char kInsertOneTime[] =
    "INSERT INTO one_time_prekeys (user_id, device_id, key_id, public_key) "
    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (user_id, device_id, key_id) DO NOTHING";
constexpr char kCountOneTime[] =
    "SELECT count(*) FROM one_time_prekeys WHERE user_id = ?1 AND device_id = ?2";
constexpr char kSelectSigned[] =
    "SELECT device_id, key_id, public_key, signature FROM signed_prekeys "
    "WHERE user_id = ?1 ORDER BY device_id";
constexpr char kFirstOneTime[] =
    "SELECT key_id, public_key FROM one_time_prekeys WHERE user_id = ?1 AND device_id = ?2 "
    "ORDER BY key_id LIMIT 1";
constexpr char kTakeOneTime[] =
    "DELETE FROM one_time_prekeys WHERE user_id = ?1 AND device_id = ?2 AND key_id = ?3";

Result<std::int64_t> count(Connection& db, const char* sql, UserId user, std::uint32_t device) {
  auto select = db.prepare(sql);
  if (!select) return select.status();
  select->bind_int64(1, user);
  select->bind_int64(2, device);
  if (select->step() != Step::kRow) return select->error();
  return select->column_int64(0);
}

}  // namespace

Result<std::size_t> SqliteStore::publish_prekeys(const PrekeyUpload& upload,
                                                 const PrekeyLimits& limits) {
  std::lock_guard lock(writer_mu_);
  auto txn = Transaction::begin(*writer_);
  if (!txn) return txn.status();
  {
    auto exists = writer_->prepare(kUserExists);
    if (!exists) return exists.status();
    exists->bind_int64(1, upload.user);
    switch (exists->step()) {
      case Step::kRow:
        break;
      case Step::kDone:
        return Result<std::size_t>(Code::kUnknownUser, "unknown user");
      case Step::kError:
        return exists->error();
    }
  }
  auto others = count(*writer_, kOtherDevices, upload.user, upload.device_id);
  if (!others) return others.status();
  if (static_cast<std::size_t>(*others) >= limits.max_devices_per_user) {
    // Counts other devices: a device already stored may always publish again.
    auto mine = count(*writer_, kDeviceStored, upload.user, upload.device_id);
    if (!mine) return mine.status();
    if (*mine == 0) {
      return Result<std::size_t>(Code::kLimitReached, "the account has prekeys for " +
                                                          std::to_string(*others) +
                                                          " devices, the most the server keeps");
    }
  }
  if (upload.replace_one_time) {
    auto remove = writer_->prepare(kDeleteOneTime);
    if (!remove) return remove.status();
    remove->bind_int64(1, upload.user);
    remove->bind_int64(2, upload.device_id);
    if (Status s = remove->run(); !s) return s;
  }
  {
    auto upsert = writer_->prepare(kUpsertSigned);
    if (!upsert) return upsert.status();
    upsert->bind_int64(1, upload.user);
    upsert->bind_int64(2, upload.device_id);
    upsert->bind_int64(3, upload.signed_prekey.id);
    upsert->bind_blob(4, upload.signed_prekey.public_key);
    upsert->bind_blob(5, upload.signed_prekey.signature);
    upsert->bind_int64(6, upload.now_ms);
    if (Status s = upsert->run(); !s) return s;
  }
  {
    auto insert = writer_->prepare(kInsertOneTime);
    if (!insert) return insert.status();
    for (const StoredOneTimePrekey& key : upload.one_time) {
      insert->reset();
      insert->bind_int64(1, upload.user);
      insert->bind_int64(2, upload.device_id);
      insert->bind_int64(3, key.id);
      insert->bind_blob(4, key.public_key);
      if (Status s = insert->run(); !s) return s;
    }
  }
  auto held = count(*writer_, kCountOneTime, upload.user, upload.device_id);
  if (!held) return held.status();
  if (static_cast<std::size_t>(*held) > limits.max_one_time_per_device) {
    return Result<std::size_t>(  // rolled back: nothing stored
        Code::kLimitReached, "the device would hold " + std::to_string(*held) +
                                 " one-time prekeys; the server keeps at most " +
                                 std::to_string(limits.max_one_time_per_device));
  }
  if (Status s = txn->commit(); !s) return s;
  return static_cast<std::size_t>(*held);
}

Result<std::size_t> SqliteStore::count_one_time_prekeys(UserId user, std::uint32_t device_id) {
  auto db = readers_->acquire();
  auto held = count(*db, kCountOneTime, user, device_id);
  if (!held) return held.status();
  return static_cast<std::size_t>(*held);
}

Result<std::vector<StoredPrekeyBundle>> SqliteStore::take_prekey_bundles(UserId user) {
  std::lock_guard lock(writer_mu_);
  auto txn = Transaction::begin(*writer_);
  if (!txn) return txn.status();
  std::vector<StoredPrekeyBundle> bundles;
  {
    auto select = writer_->prepare(kSelectSigned);
    if (!select) return select.status();
    select->bind_int64(1, user);
    Step step;
    while ((step = select->step()) == Step::kRow) {
      StoredPrekeyBundle& bundle = bundles.emplace_back();
      bundle.device_id = static_cast<std::uint32_t>(select->column_int64(0));
      bundle.signed_prekey.id = static_cast<std::uint32_t>(select->column_int64(1));
      bundle.signed_prekey.public_key = select->column_blob(2);
      bundle.signed_prekey.signature = select->column_blob(3);
    }
    if (step == Step::kError) return select->error();
  }
  for (StoredPrekeyBundle& bundle : bundles) {
    auto first = writer_->prepare(kFirstOneTime);
    if (!first) return first.status();
    first->bind_int64(1, user);
    first->bind_int64(2, bundle.device_id);
    const Step step = first->step();
    if (step == Step::kError) return first->error();
    if (step == Step::kDone) continue;  // none left: the signed prekey alone
    StoredOneTimePrekey key{static_cast<std::uint32_t>(first->column_int64(0)),
                            std::string(first->column_blob(1))};
    auto take = writer_->prepare(kTakeOneTime);
    if (!take) return take.status();
    take->bind_int64(1, user);
    take->bind_int64(2, bundle.device_id);
    take->bind_int64(3, key.id);
    if (Status s = take->run(); !s) return s;
    bundle.one_time = std::move(key);
  }
  if (Status s = txn->commit(); !s) return s;
  return bundles;
}

}  // namespace fastchat::store::sqlite
