#include "support/postgres_test_schema.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "common/message_id.h"

namespace fastchat::store::test {

using postgres::PgConnection;
using postgres::PgResult;

std::string PostgresTestSchema::base_url() {
  const char* url = std::getenv("FASTCHAT_TEST_POSTGRES_URL");
  return url != nullptr ? url : "";
}

std::string PostgresTestSchema::with_search_path(const std::string& url,
                                                 const std::string& schema) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
         schema;
}

PostgresTestSchema::PostgresTestSchema(const std::string& base)
    : name_("test_" + MessageId::random().to_hex().substr(0, 16)),
      url_(with_search_path(base, name_)) {
  postgres::PgConnectOptions options;
  options.url = url_;
  auto db = PgConnection::connect(options);
  if (!db) throw std::runtime_error("PostgreSQL test schema: " + db.status().to_string());
  db_ = std::move(db).value();
  const std::string create = "CREATE SCHEMA " + name_;
  db_->send_sql(create.c_str());
  if (Status s = db_->sync(); !s) {
    throw std::runtime_error("PostgreSQL test schema: " + s.to_string());
  }
}

PostgresTestSchema::~PostgresTestSchema() {
  if (db_ == nullptr) return;
  const std::string drop = "DROP SCHEMA IF EXISTS " + name_ + " CASCADE";
  db_->send_sql(drop.c_str());
  if (Status s = db_->sync(); !s) {
    // The connection may have died with a restarted server: try once more on a new one.
    postgres::PgConnectOptions options;
    options.url = url_;
    auto again = PgConnection::connect(options);
    if (again) {
      (*again)->send_sql(drop.c_str());
      s = (*again)->sync();
    }
    if (!s) ADD_FAILURE() << "dropping " << name_ << ": " << s.to_string();
  }
}

std::int64_t PostgresTestSchema::query_int(const char* sql) {
  std::vector<PgResult> results;
  db_->send_sql(sql);
  Status s = db_->sync(results);
  EXPECT_TRUE(s) << sql << ": " << s.to_string();
  if (!s || results[0].rows() == 0) return -1;
  return results[0].int64(0, 0);
}

bool PostgresTestSchema::exec(const char* sql) {
  Status s = db_->exec_script(sql);
  EXPECT_TRUE(s) << sql << ": " << s.to_string();
  return s.is_ok();
}

}  // namespace fastchat::store::test
