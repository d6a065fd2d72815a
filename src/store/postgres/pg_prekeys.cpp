#include "store/postgres/pg_prekeys.h"

#include <string>

namespace fastchat::store::postgres {
namespace {

constexpr char kForeignKeyViolation[] = "23503";

// Publishes of one user run one at a time (the device cap counts the user's devices).
constexpr char kLockUser[] = "SELECT id FROM users WHERE id = $1::int8 FOR NO KEY UPDATE";
constexpr char kDevices[] =
    "SELECT count(*) FILTER (WHERE device_id <> $2::int8), "
    "count(*) FILTER (WHERE device_id = $2::int8) FROM signed_prekeys WHERE user_id = $1::int8";
constexpr char kDeleteOneTime[] =
    "DELETE FROM one_time_prekeys WHERE user_id = $1::int8 AND device_id = $2::int8";
constexpr char kUpsertSigned[] =
    "INSERT INTO signed_prekeys (user_id, device_id, key_id, public_key, signature, updated_ms) "
    "VALUES ($1::int8, $2::int8, $3::int8, $4::bytea, $5::bytea, $6::int8) "
    "ON CONFLICT (user_id, device_id) DO UPDATE SET key_id = excluded.key_id, "
    "public_key = excluded.public_key, signature = excluded.signature, "
    "updated_ms = excluded.updated_ms";
constexpr char kInsertOneTime[] =
    "INSERT INTO one_time_prekeys (user_id, device_id, key_id, public_key) "
    "SELECT $1::int8, $2::int8, k.key_id, k.public_key "
    "FROM unnest($3::int8[], $4::bytea[]) AS k (key_id, public_key) "
    "ON CONFLICT (user_id, device_id, key_id) DO NOTHING";
constexpr char kCountOneTime[] =
    "SELECT count(*) FROM one_time_prekeys WHERE user_id = $1::int8 AND device_id = $2::int8";
constexpr char kSelectSigned[] =
    "SELECT device_id, key_id, public_key, signature FROM signed_prekeys "
    "WHERE user_id = $1::int8 ORDER BY device_id";
// Atomic across servers: the row is locked as it is picked, and a concurrent take skips
// it for the next one instead of waiting (and then finding it gone).
constexpr char kTakeOneTime[] =
    "DELETE FROM one_time_prekeys WHERE user_id = $1::int8 AND device_id = $2::int8 "
    "AND key_id = (SELECT key_id FROM one_time_prekeys "
    "  WHERE user_id = $1::int8 AND device_id = $2::int8 ORDER BY key_id LIMIT 1 "
    "  FOR UPDATE SKIP LOCKED) "
    "RETURNING key_id, public_key";

PgParams user_device(UserId user, std::uint32_t device_id) {
  return PgParams().int64(user).int64(device_id);
}

Status fail(PgConnection& db, Status status) {
  db.rollback();
  return status;
}

}  // namespace

Result<std::size_t> publish_prekeys(PgConnection& db, const PrekeyUpload& upload,
                                    const PrekeyLimits& limits) {
  std::vector<PgResult> results;
  db.send_sql("BEGIN");
  db.send_sql(kLockUser, PgParams().int64(upload.user));
  db.send_sql(kDevices, user_device(upload.user, upload.device_id));
  if (Status s = db.sync(results); !s) return fail(db, s);
  if (results[1].rows() == 0) return fail(db, Status(Code::kUnknownUser, "unknown user"));
  const std::int64_t others = results[2].int64(0, 0);
  const bool known_device = results[2].int64(0, 1) > 0;
  if (!known_device && static_cast<std::size_t>(others) >= limits.max_devices_per_user) {
    return fail(
        db, Status(Code::kLimitReached, "the account has prekeys for " + std::to_string(others) +
                                            " devices, the most the server keeps"));
  }
  if (upload.replace_one_time) {
    db.send_sql(kDeleteOneTime, user_device(upload.user, upload.device_id));
  }
  db.send_sql(kUpsertSigned, user_device(upload.user, upload.device_id)
                                 .int64(upload.signed_prekey.id)
                                 .bytes(upload.signed_prekey.public_key)
                                 .bytes(upload.signed_prekey.signature)
                                 .int64(upload.now_ms));
  PgParams keys = user_device(upload.user, upload.device_id);
  keys.begin_array(PgType::kInt8);
  for (const StoredOneTimePrekey& key : upload.one_time)
    keys.element_int64(key.id);
  keys.end_array().begin_array(PgType::kBytea);
  for (const StoredOneTimePrekey& key : upload.one_time)
    keys.element_bytes(key.public_key);
  keys.end_array();
  db.send_sql(kInsertOneTime, keys);
  db.send_sql(kCountOneTime, user_device(upload.user, upload.device_id));
  if (Status s = db.sync(results); !s) {
    if (db.sqlstate() == kForeignKeyViolation) {
      return fail(db, Status(Code::kUnknownUser, "unknown user"));
    }
    return fail(db, s);
  }
  const auto held = static_cast<std::size_t>(results.back().int64(0, 0));
  if (held > limits.max_one_time_per_device) {
    return fail(db,
                Status(Code::kLimitReached, "the device would hold " + std::to_string(held) +
                                                " one-time prekeys; the server keeps at most " +
                                                std::to_string(limits.max_one_time_per_device)));
  }
  db.send_sql("COMMIT");
  if (Status s = db.sync(); !s) return fail(db, s);
  return held;
}

Result<std::size_t> count_one_time_prekeys(PgConnection& db, UserId user, std::uint32_t device_id) {
  std::vector<PgResult> results;
  db.send_sql(kCountOneTime, user_device(user, device_id));
  if (Status s = db.sync(results); !s) return s;
  return static_cast<std::size_t>(results[0].int64(0, 0));
}

Result<std::vector<StoredPrekeyBundle>> take_prekey_bundles(PgConnection& db, UserId user) {
  std::vector<PgResult> results;
  db.send_sql(kSelectSigned, PgParams().int64(user));
  if (Status s = db.sync(results); !s) return s;
  std::vector<StoredPrekeyBundle> bundles;
  const PgResult& rows = results[0];
  for (int row = 0; row < rows.rows(); ++row) {
    StoredPrekeyBundle& bundle = bundles.emplace_back();
    bundle.device_id = static_cast<std::uint32_t>(rows.int64(row, 0));
    bundle.signed_prekey.id = static_cast<std::uint32_t>(rows.int64(row, 1));
    bundle.signed_prekey.public_key = rows.text(row, 2);
    bundle.signed_prekey.signature = rows.text(row, 3);
  }
  if (bundles.empty()) return bundles;
  // Each DELETE is atomic on its own: one implicit transaction for the whole pipeline.
  for (const StoredPrekeyBundle& bundle : bundles)
    db.send_sql(kTakeOneTime, user_device(user, bundle.device_id));
  std::vector<PgResult> taken;
  if (Status s = db.sync(taken); !s) return s;
  for (std::size_t i = 0; i < bundles.size(); ++i) {
    if (taken[i].rows() == 0) continue;  // none left: the signed prekey alone
    bundles[i].one_time =
        StoredOneTimePrekey{static_cast<std::uint32_t>(taken[i].int64(0, 0)), taken[i].text(0, 1)};
  }
  return bundles;
}

}  // namespace fastchat::store::postgres
