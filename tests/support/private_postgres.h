// A PostgreSQL server of the test's own: a fresh cluster in a temporary directory on a
// free loopback port, run through scripts/test-services.sh (the script the suite uses),
// so a test may stop, restart or kill it without disturbing any other test.
#pragma once

#include <string>

namespace fastchat::test_support {

class PrivatePostgres {
 public:
  PrivatePostgres();
  ~PrivatePostgres();  // stops the server and removes its directory
  PrivatePostgres(const PrivatePostgres&) = delete;
  PrivatePostgres& operator=(const PrivatePostgres&) = delete;

  // Each returns false when the script failed (its output is in log()).
  bool start() { return run("start postgres"); }
  bool stop() { return run("stop postgres"); }
  bool restart() { return run("restart postgres"); }

  // The test database, owned by the "fastchat" role with trust authentication.
  std::string url() const;
  int port() const { return port_; }
  std::string log() const;

 private:
  bool run(const std::string& args);

  std::string dir_;
  int port_;
};

}  // namespace fastchat::test_support
