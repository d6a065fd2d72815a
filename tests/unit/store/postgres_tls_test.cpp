// The PostgreSQL store over TLS when its URL asks for it (sslmode=verify-full), against
// the test PostgreSQL of scripts/test-services.sh, which presents a certificate for
// "localhost" from a test CA of its own ($FASTCHAT_TEST_POSTGRES_TLS_DIR/ca.pem).
#include <gtest/gtest.h>

#include <cstdlib>

#include "store/postgres/pg_connection.h"
#include "store/postgres/postgres_store.h"
#include "support/postgres_test_schema.h"
#include "support/service_missing.h"

namespace fastchat::store::postgres {
namespace {

using test::PostgresTestSchema;

class PostgresTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* dir = std::getenv("FASTCHAT_TEST_POSTGRES_TLS_DIR");
    if (PostgresTestSchema::base_url().empty() || !dir || !*dir) {
      FASTCHAT_SERVICE_MISSING(
          "FASTCHAT_TEST_POSTGRES_URL / FASTCHAT_TEST_POSTGRES_TLS_DIR are not set "
          "(scripts/test-services.sh)");
    }
    tls_dir_ = dir;
    schema_ = std::make_unique<PostgresTestSchema>();
  }

  // The schema's URL naming the server by `host`, verifying it against `ca`.
  std::string tls_url(const std::string& host, const std::string& ca) const {
    std::string url = schema_->url();
    const std::string loopback = "@127.0.0.1:";
    const auto at = url.find(loopback);
    EXPECT_NE(at, std::string::npos) << "the test URL names 127.0.0.1: " << url;
    if (at != std::string::npos) url.replace(at, loopback.size(), "@" + host + ":");
    url += url.find('?') == std::string::npos ? '?' : '&';
    return url + "sslmode=verify-full&sslrootcert=" + tls_dir_ + "/" + ca;
  }

  std::string tls_dir_;
  std::unique_ptr<PostgresTestSchema> schema_;
};

TEST_F(PostgresTlsTest, VerifyFullConnectsOverTlsAndTheStoreWorks) {
  const std::string url = tls_url("localhost", "ca.pem");
  auto db = PgConnection::connect({.url = url});
  ASSERT_TRUE(db) << db.status().to_string();
  std::vector<PgResult> results;
  (*db)->send_sql("SELECT ssl::text, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
  ASSERT_TRUE((*db)->sync(results));
  ASSERT_EQ(results[0].rows(), 1);
  EXPECT_EQ(results[0].text(0, 0), "true");
  EXPECT_EQ(results[0].text(0, 1), "TLSv1.3");

  auto store = PostgresStore::open(url, {});
  ASSERT_TRUE(store) << store.status().to_string();
  NewUser user;
  user.username = "tls-alice";
  user.auth_verifier = "v";
  auto id = (*store)->create_user(user);
  ASSERT_TRUE(id) << id.status().to_string();
  auto found = (*store)->find_user("tls-alice");
  ASSERT_TRUE(found) << found.status().to_string();
  EXPECT_EQ(found->id, *id);
}

TEST_F(PostgresTlsTest, AServerWhoseCertificateAnotherCaSignedIsRefused) {
  auto store = PostgresStore::open(tls_url("localhost", "other-ca.pem"), {});
  ASSERT_FALSE(store);
  EXPECT_EQ(store.code(), Code::kUnavailable);
  EXPECT_NE(store.status().message().find("certificate verify failed"), std::string::npos)
      << store.status().to_string();
}

TEST_F(PostgresTlsTest, AServerReachedByANameItsCertificateDoesNotHoldIsRefused) {
  auto store = PostgresStore::open(tls_url("127.0.0.1", "ca.pem"), {});
  ASSERT_FALSE(store);
  EXPECT_EQ(store.code(), Code::kUnavailable);
  EXPECT_NE(store.status().message().find("does not match host name"), std::string::npos)
      << store.status().to_string();
}

}  // namespace
}  // namespace fastchat::store::postgres
