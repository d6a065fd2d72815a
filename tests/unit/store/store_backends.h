// The Store backends that the backend-neutral store tests run against, and a temporary
// directory helper. Each test gets a fresh, empty database from its backend.
//
// Adding PostgreSQL (when src/store/postgres lands): in store_backends.cpp, if the
// environment variable FASTCHAT_TEST_POSTGRES_URL is set (for instance
// postgresql://fastchat@127.0.0.1/fastchat_test), append a backend named "postgres" whose
// TestStoreEnv creates a fresh schema per test (CREATE SCHEMA test_<random>), opens it with
// open_store(url + "?options=-csearch_path%3Dtest_<random>", "") and drops the schema in
// its destructor. The suites pick it up with no other change; without the variable the
// postgres backend is simply absent (not skipped), so CI without a server stays green.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/store.h"
#include "support/temp_dir.h"

namespace fastchat::store::test {

// One test's database. open() may be called again after the previous Store was destroyed
// and sees the same data (close + reopen). The database goes with the env.
class TestStoreEnv {
 public:
  virtual ~TestStoreEnv() = default;
  virtual Result<std::unique_ptr<Store>> open() = 0;
};

struct StoreBackend {
  std::string name;  // a valid test name part: letters and digits
  std::function<std::unique_ptr<TestStoreEnv>()> make_env;
};

inline void PrintTo(const StoreBackend& backend, std::ostream* out) {
  *out << backend.name;
}

// The backends available here: "sqlite" always, others when configured (see above).
std::vector<StoreBackend> store_backends();

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
using TempDir = test_support::TempDir;

}  // namespace fastchat::store::test
