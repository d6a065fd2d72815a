// TestCluster: the servers an integration test runs against. Single-node mode: one
// in-process TestServer on SQLite with the LocalBus (as fastchat-server runs by
// default). Cluster mode: three in-process TestServers sharing one PostgreSQL schema
// and one redis-server, both the test's own (so tests run in parallel), with one
// session-token key file and one log file. port() hands out the servers in turn, so
// successive clients land on different servers.
//
// The mode is process-wide: the *_cluster_test executables link cluster_mode.cpp,
// which turns it on before main(). For tests only; use from the test thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "server/server_context.h"
#include "test_server.h"

namespace fastchat::cluster::testing {
class PrivateRedis;
}
namespace fastchat::store::test {
class PostgresTestSchema;
}

namespace fastchat::itest {

class RedisMonitor;

// Whether ServerTest (and the tests that ask) run a cluster instead of a single node.
bool cluster_mode();
void set_cluster_mode(bool on);

class TestCluster {
 public:
  static constexpr std::size_t kClusterSize = 3;

  // Why cluster mode cannot run on this machine, or "" when it can.
  static std::string unavailable();

  // `cluster`: kClusterSize servers on PostgreSQL and Redis; otherwise one on SQLite.
  TestCluster(std::string root, bool cluster);
  ~TestCluster();
  TestCluster(const TestCluster&) = delete;
  TestCluster& operator=(const TestCluster&) = delete;

  // Settings for every server's next start(); the listen address, dirs, store, bus,
  // server id and key file are set per server by start().
  server::ServerConfig& config() { return config_; }

  // The clock of every server's next start() (it must outlive them).
  void set_clock(const Clock& clock) {
    for (auto& server : servers_)
      server->set_clock(clock);
  }

  // Starts every server (the first call also creates the schema and the redis-server).
  Status start();
  // Stops every server; the store (and in cluster mode Redis) keeps its data.
  void stop();
  bool running() const;
  bool cluster() const { return cluster_; }
  std::size_t size() const { return servers_.size(); }

  // The next server's port, round robin (always the one server's in single-node mode).
  std::uint16_t port() const;
  std::uint16_t port_of(std::size_t server) const { return servers_[server]->port(); }
  std::vector<std::uint16_t> ports() const;
  TestServer& server(std::size_t i) { return *servers_[i]; }

  // Over the whole cluster: sessions of logged-in users, and one counter's sum.
  std::size_t online_sessions() const;
  std::uint64_t counter(std::atomic<std::uint64_t> server::ServerCounters::*field) const;
  std::uint64_t counter(std::uint64_t server::LoopTotals::*field) const;

  // Cluster mode: waits (bounded) until no server holds a session of `username` in
  // Redis, i.e. every server would now answer "offline". Single node: true at once
  // (the LocalBus is synchronous).
  bool wait_offline(const std::string& username, milliseconds timeout = seconds(10)) const;

  // The log file every server of this cluster writes, and its content so far.
  const std::string& log_file() const;
  std::string log() const;

  // What the store holds, for scans: the SQLite files' bytes (database, WAL, shm), or
  // every row of every table of the PostgreSQL schema as text (bytea as \x hex).
  std::string store_contents();
  // Directories and files the servers keep: data dirs, and the shared key file.
  std::vector<std::string> data_dirs() const;

  // Cluster mode: the store URL (schema search_path included), the Redis URL, the
  // shared key file, for a fastchat-server child process joining this cluster.
  const std::string& db_url() const { return db_url_; }
  const std::string& redis_url() const { return redis_url_; }
  const std::string& secret_file() const { return secret_file_; }
  // Cluster mode: the certificate and key every server presents (one identity).
  const std::string& tls_cert_file() const { return tls_cert_file_; }
  const std::string& tls_key_file() const { return tls_key_file_; }
  // Command-line flags making a fastchat-server process a member (server id `id`);
  // empty in single-node mode.
  std::vector<std::string> process_args(const std::string& id) const;

  // Cluster mode: records every command Redis executes (MONITOR) from now on, as the
  // raw argument bytes; redis_traffic() is what was recorded so far. Single node: "".
  Status record_redis();
  std::string redis_traffic() const;

  // A lying server: from now on every server hands out `keys` as `username`'s identity
  // (written into the store behind the servers' backs; they cache no identities).
  Status serve_identity(const std::string& username, const store::IdentityKeys& keys);
  // A lying server, more generally: runs `sql` on the store behind the servers' backs
  // (they cache no groups or membership). Write it for both SQLite and PostgreSQL;
  // blob_literal() spells bytes for the backend in use.
  Status exec_sql(const std::string& sql);
  std::string blob_literal(const std::string& bytes) const;

 private:
  Status start_services();

  std::string root_;
  bool cluster_;
  std::string log_file_;
  server::ServerConfig config_;
  std::vector<std::unique_ptr<TestServer>> servers_;
  mutable std::atomic<std::size_t> next_{0};
  std::unique_ptr<store::test::PostgresTestSchema> schema_;
  std::unique_ptr<cluster::testing::PrivateRedis> redis_;
  std::unique_ptr<RedisMonitor> monitor_;
  std::string db_url_;
  std::string redis_url_;
  std::string secret_file_;
  std::string tls_cert_file_;
  std::string tls_key_file_;
};

// A fixture with running servers: one, or in cluster mode a cluster (skipped, with the
// reason, when PostgreSQL or redis-server is missing). TearDown checks that every server
// still serves a fresh client, then stops them.
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Overridable: settings (of every server) before the first start.
  virtual void configure(server::ServerConfig& /*config*/) {}

  // A server to connect to: the next one in turn in cluster mode.
  std::uint16_t port() const { return servers_->port(); }
  // Over every server.
  std::size_t online_sessions() const { return servers_->online_sessions(); }
  std::uint64_t counter(std::atomic<std::uint64_t> server::ServerCounters::*field) const {
    return servers_->counter(field);
  }
  std::uint64_t counter(std::uint64_t server::LoopTotals::*field) const {
    return servers_->counter(field);
  }

  TempDir dir_;
  std::unique_ptr<TestCluster> servers_;
};

}  // namespace fastchat::itest
