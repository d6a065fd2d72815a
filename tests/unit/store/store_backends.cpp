#include "store_backends.h"

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "store/open_store.h"
#include "support/postgres_test_schema.h"

namespace fastchat::store::test {
namespace {

class SqliteEnv final : public TestStoreEnv {
 public:
  Result<std::unique_ptr<Store>> open() override { return open_store("", dir_.path() + "/data"); }

 private:
  TempDir dir_;
};

// A schema of its own per test in $FASTCHAT_TEST_POSTGRES_URL's database; the store's
// connections close before the schema is dropped (StoreTest destroys the store first).
class PostgresEnv final : public TestStoreEnv {
 public:
  Result<std::unique_ptr<Store>> open() override { return open_store(schema_.url(), ""); }

 private:
  PostgresTestSchema schema_;
};

}  // namespace

std::vector<StoreBackend> store_backends() {
  std::vector<StoreBackend> backends;
  backends.push_back({"sqlite", [] { return std::make_unique<SqliteEnv>(); }});
  if (!PostgresTestSchema::base_url().empty()) {
    backends.push_back({"postgres", [] { return std::make_unique<PostgresEnv>(); }});
  }
  return backends;
}

}  // namespace fastchat::store::test
