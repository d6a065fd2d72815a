// What a test does when a service it needs (PostgreSQL, redis-server) is missing: it
// skips, so a developer without them can still run the rest, unless
// FASTCHAT_REQUIRE_SERVICES is set (scripts/test.sh and CI set it), where a missing
// service is a failure: a skipped test must never pass for a run. Use in a test body
// or SetUp(); returns from it.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace fastchat::test {

inline bool services_required() {
  const char* value = std::getenv("FASTCHAT_REQUIRE_SERVICES");
  return value != nullptr && std::string(value) != "" && std::string(value) != "0";
}

}  // namespace fastchat::test

#define FASTCHAT_SERVICE_MISSING(why)                                                              \
  do {                                                                                             \
    if (::fastchat::test::services_required()) {                                                   \
      GTEST_FAIL() << "a required test service is missing (FASTCHAT_REQUIRE_SERVICES): " << (why); \
    } else {                                                                                       \
      GTEST_SKIP() << (why);                                                                       \
    }                                                                                              \
  } while (0)
