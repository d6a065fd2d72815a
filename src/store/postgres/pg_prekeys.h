// The PostgreSQL store's E2EE v2 prekey transactions (PostgresStore's prekey methods run
// these on a pooled connection; store.h says what each promises). Not on a hot path,
// so their SQL is sent as text rather than prepared. Stateless.
#pragma once

#include <vector>

#include "store/postgres/pg_connection.h"
#include "store/store.h"

namespace fastchat::store::postgres {

Result<std::size_t> publish_prekeys(PgConnection& db, const PrekeyUpload& upload,
                                    const PrekeyLimits& limits);
Result<std::size_t> count_one_time_prekeys(PgConnection& db, UserId user, std::uint32_t device_id);
Result<std::vector<StoredPrekeyBundle>> take_prekey_bundles(PgConnection& db, UserId user);

}  // namespace fastchat::store::postgres
