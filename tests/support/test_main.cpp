// main() of every GoogleTest executable. It sets the default logger up before any
// test starts a thread, as fastchat-server's main does: left to spdlog, the logger is
// made on first use, and a test whose first log line comes from two threads at once
// (the RedisBus tests: the bus thread and the test's) races on it under TSan.
#include <gtest/gtest.h>

#include "common/logging.h"

int main(int argc, char** argv) {
  fastchat::setup_logging("info");
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
