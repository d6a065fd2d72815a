#include "test_cluster.h"

#include <hiredis/hiredis.h>
#include <sqlite3.h>

#include <stdexcept>

#include "cluster/redis_connection.h"
#include "common/hex.h"
#include "protocol/proxy_header.h"
#include "redis_monitor.h"
#include "support/postgres_test_schema.h"
#include "support/redis_test_support.h"
#include "support/service_missing.h"
#include "tls/identity.h"

namespace fastchat::itest {

namespace {

std::atomic<bool> g_cluster_mode{false};

// SMEMBERS `key` on a fresh connection; nullopt when Redis did not answer.
std::optional<std::vector<std::string>> set_members(const std::string& url,
                                                    const std::string& key) {
  auto endpoint = cluster::parse_redis_url(url);
  if (!endpoint) return std::nullopt;
  timeval timeout{2, 0};
  redisContext* c = endpoint->unix_path.empty()
                        ? redisConnectWithTimeout(endpoint->host.c_str(), endpoint->port, timeout)
                        : redisConnectUnixWithTimeout(endpoint->unix_path.c_str(), timeout);
  if (c == nullptr || c->err) {
    if (c) redisFree(c);
    return std::nullopt;
  }
  std::optional<std::vector<std::string>> members;
  auto* reply = static_cast<redisReply*>(redisCommand(c, "SMEMBERS %b", key.data(), key.size()));
  if (reply && reply->type == REDIS_REPLY_ARRAY) {
    members.emplace();
    for (std::size_t i = 0; i < reply->elements; ++i)
      members->emplace_back(reply->element[i]->str, reply->element[i]->len);
  }
  if (reply) freeReplyObject(reply);
  redisFree(c);
  return members;
}

}  // namespace

bool cluster_mode() {
  return g_cluster_mode.load();
}

void set_cluster_mode(bool on) {
  g_cluster_mode = on;
}

std::string TestCluster::unavailable() {
  if (store::test::PostgresTestSchema::base_url().empty()) {
    return "cluster mode needs PostgreSQL: FASTCHAT_TEST_POSTGRES_URL is not set "
           "(eval \"$(scripts/test-services.sh start)\")";
  }
  if (!cluster::testing::PrivateRedis::available()) {
    return "cluster mode needs redis-server on PATH (scripts/install-deps.sh)";
  }
  return "";
}

TestCluster::TestCluster(std::string root, bool cluster)
    : root_(std::move(root)), cluster_(cluster), log_file_(root_ + "/servers.log") {
  const std::size_t n = cluster_ ? kClusterSize : 1;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string dir = root_ + "/server" + std::to_string(i);
    // Single node: the server installs (and owns) its log file as it always did. A
    // cluster's servers share the process and its one default logger: one file.
    servers_.push_back(cluster_ ? std::make_unique<TestServer>(dir, "debug", log_file_)
                                : std::make_unique<TestServer>(dir));
  }
  if (cluster_) install_test_logger(log_file_, "debug");
  // Three servers on a 2-core machine under ASan: keep each one small.
  config_ = servers_[0]->config();
  if (cluster_) {
    config_.threads = 1;
    config_.store_threads = 2;
  }
}

TestCluster::~TestCluster() {
  stop();
  monitor_.reset();
  servers_.clear();
  if (cluster_) install_stderr_logger();
  redis_.reset();
  schema_.reset();
}

Status TestCluster::start_services() {
  if (const std::string why = unavailable(); !why.empty()) {
    return Status(Code::kUnavailable, why);
  }
  try {
    schema_ = std::make_unique<store::test::PostgresTestSchema>();
  } catch (const std::exception& e) {
    return Status(Code::kUnavailable, e.what());
  }
  redis_ = std::make_unique<cluster::testing::PrivateRedis>();
  if (!redis_->start()) {
    return Status(Code::kUnavailable, "cannot start redis-server: " + redis_->error());
  }
  db_url_ = schema_->url();
  redis_url_ = redis_->url();
  secret_file_ = root_ + "/cluster.key";
  // One TLS identity for the cluster, as in production (docs/deployment.md).
  auto identity = tls::ensure_identity({}, {}, root_, {});
  if (!identity) return identity.status();
  tls_cert_file_ = identity->cert_file;
  tls_key_file_ = identity->key_file;
  return Status::ok();
}

Status TestCluster::start() {
  if (cluster_ && !schema_) {
    if (Status s = start_services(); !s) return s;
  }
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    auto& server = *servers_[i];
    if (server.running()) continue;
    server.config() = config_;
    if (cluster_) {
      server.config().db_url = db_url_;
      server.config().redis_url = redis_url_;
      server.config().secret_file = secret_file_;
      if (!server.config().insecure_plaintext) {
        server.config().tls_cert_file = tls_cert_file_;
        server.config().tls_key_file = tls_key_file_;
      }
      // Stable across restarts, as in production: a restarted server clears what its
      // previous life left in Redis.
      server.config().server_id = "itest-" + std::to_string(i);
    }
    if (Status s = server.start(); !s) {
      return Status(s.code(), "server " + std::to_string(i) + ": " + s.message());
    }
  }
  return Status::ok();
}

void TestCluster::stop() {
  for (auto& server : servers_)
    server->stop();
}

bool TestCluster::running() const {
  for (const auto& server : servers_) {
    if (!server->running()) return false;
  }
  return true;
}

std::uint16_t TestCluster::port() const {
  return servers_[next_.fetch_add(1) % servers_.size()]->port();
}

std::vector<std::uint16_t> TestCluster::ports() const {
  std::vector<std::uint16_t> out;
  for (const auto& server : servers_)
    out.push_back(server->port());
  return out;
}

std::size_t TestCluster::online_sessions() const {
  std::size_t sum = 0;
  for (const auto& server : servers_) {
    if (server->running()) sum += server->server().online_sessions();
  }
  return sum;
}

std::uint64_t TestCluster::counter(
    std::atomic<std::uint64_t> server::ServerCounters::*field) const {
  std::uint64_t sum = 0;
  for (const auto& server : servers_) {
    if (server->running()) sum += (server->server().counters().*field).load();
  }
  return sum;
}

std::uint64_t TestCluster::counter(std::uint64_t server::LoopTotals::*field) const {
  std::uint64_t sum = 0;
  for (const auto& server : servers_) {
    if (server->running()) sum += server->server().loop_totals().*field;
  }
  return sum;
}

bool TestCluster::wait_offline(const std::string& username, milliseconds timeout) const {
  if (!cluster_) return true;
  const std::string suffix = ":" + username;
  return eventually(
      [&] {
        for (std::size_t i = 0; i < servers_.size(); ++i) {
          auto members = set_members(redis_url_, "fc:users:itest-" + std::to_string(i));
          if (!members) return false;
          for (const auto& m : *members) {
            if (m.size() > suffix.size() &&
                m.compare(m.size() - suffix.size(), suffix.size(), suffix) == 0) {
              return false;
            }
          }
        }
        return true;
      },
      timeout);
}

const std::string& TestCluster::log_file() const {
  return servers_[0]->log_file();
}

std::string TestCluster::log() const {
  return servers_[0]->log();
}

std::string TestCluster::store_contents() {
  if (!cluster_) {
    std::string all;
    for (const char* suffix : {"", "-wal", "-shm"})
      all += read_file(servers_[0]->data_dir() + "/fastchat.db" + suffix);
    return all;
  }
  auto& db = schema_->db();
  std::vector<store::postgres::PgResult> results;
  const std::string tables =
      "SELECT table_name::text FROM information_schema.tables WHERE table_schema = '" +
      schema_->name() + "' ORDER BY 1";
  db.send_sql(tables.c_str());
  if (Status s = db.sync(results); !s) {
    ADD_FAILURE() << "listing the schema's tables: " << s.to_string();
    return "";
  }
  std::vector<std::string> names;
  for (int row = 0; row < results[0].rows(); ++row)
    names.push_back(results[0].text(row, 0));
  EXPECT_FALSE(names.empty()) << "no tables in schema " << schema_->name();
  std::string all;
  for (const auto& table : names) {
    // A row as text renders bytea as \x followed by lower-case hex, which SecretScan
    // looks for as well as the raw bytes.
    const std::string rows = "SELECT t::text FROM \"" + schema_->name() + "\".\"" + table + "\" t";
    results.clear();
    db.send_sql(rows.c_str());
    if (Status s = db.sync(results); !s) {
      ADD_FAILURE() << "reading " << table << ": " << s.to_string();
      continue;
    }
    all += "-- " + table + "\n";
    for (int row = 0; row < results[0].rows(); ++row) {
      all += results[0].text(row, 0);
      all += '\n';
    }
  }
  return all;
}

std::vector<std::string> TestCluster::data_dirs() const {
  std::vector<std::string> out;
  for (const auto& server : servers_)
    out.push_back(server->data_dir());
  return out;
}

std::vector<std::string> TestCluster::process_args(const std::string& id) const {
  if (!cluster_) return {};
  return {"--db",        db_url_, "--redis",    redis_url_,     "--secret-file", secret_file_,
          "--server-id", id,      "--tls-cert", tls_cert_file_, "--tls-key",     tls_key_file_};
}

Status TestCluster::record_redis() {
  if (!cluster_) return Status::ok();
  auto monitor = RedisMonitor::start(redis_url_);
  if (!monitor) return monitor.status();
  monitor_ = std::move(monitor).value();
  return Status::ok();
}

std::string TestCluster::redis_traffic() const {
  return monitor_ ? monitor_->traffic() : std::string();
}

void ServerTest::SetUp() {
  if (cluster_mode()) {
    if (const std::string why = TestCluster::unavailable(); !why.empty())
      FASTCHAT_SERVICE_MISSING(why);
  }
  servers_ = std::make_unique<TestCluster>(dir_.path(), cluster_mode());
  configure(servers_->config());
  Status started = servers_->start();
  ASSERT_TRUE(started) << started.to_string();
}

void ServerTest::TearDown() {
  if (servers_ && servers_->running()) {
    for (std::size_t i = 0; i < servers_->size(); ++i) {
      // Behind a "proxy", each probe from an address of its own (registrations are
      // throttled per address).
      const auto header =
          protocol::encode_proxy_header("192.0.2." + std::to_string(200 + i), 1, "10.0.0.1", 7600);
      const std::string first_bytes = servers_->config().proxy_protocol ? *header : "";
      EXPECT_TRUE(
          server_works(servers_->port_of(i), first_bytes, servers_->config().insecure_plaintext))
          << "server " << i << " no longer serves a fresh client";
    }
  }
  servers_.reset();
}

Status TestCluster::serve_identity(const std::string& username, const store::IdentityKeys& keys) {
  // Hex literals only (and a canonical username): nothing here needs quoting.
  if (cluster_) {
    const std::string sql = "UPDATE users SET sign_public_key = '\\x" +
                            to_hex(keys.sign_public_key) + "', box_public_key = '\\x" +
                            to_hex(keys.box_public_key) + "', key_signature = '\\x" +
                            to_hex(keys.signature) + "' WHERE username = '" + username + "'";
    return schema_->exec(sql.c_str()) ? Status::ok()
                                      : Status(Code::kInternal, "cannot rewrite an identity");
  }
  const std::string sql = "UPDATE users SET sign_public_key = x'" + to_hex(keys.sign_public_key) +
                          "', box_public_key = x'" + to_hex(keys.box_public_key) +
                          "', key_signature = x'" + to_hex(keys.signature) +
                          "' WHERE username = '" + username + "'";
  sqlite3* db = nullptr;
  const std::string path = servers_[0]->data_dir() + "/fastchat.db";
  Status status;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    status = Status(Code::kIo, "cannot open " + path);
  } else {
    sqlite3_busy_timeout(db, 10'000);
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK ||
        sqlite3_changes(db) != 1) {
      status = Status(Code::kIo, std::string("rewriting an identity: ") + sqlite3_errmsg(db));
    }
  }
  sqlite3_close(db);
  return status;
}

Status TestCluster::exec_sql(const std::string& sql) {
  if (cluster_) {
    return schema_->exec(sql.c_str()) ? Status::ok()
                                      : Status(Code::kInternal, "cannot run: " + sql);
  }
  sqlite3* db = nullptr;
  const std::string path = servers_[0]->data_dir() + "/fastchat.db";
  Status status;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    status = Status(Code::kIo, "cannot open " + path);
  } else {
    sqlite3_busy_timeout(db, 10'000);
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      status = Status(Code::kIo, "running " + sql + ": " + sqlite3_errmsg(db));
    }
  }
  sqlite3_close(db);
  return status;
}

std::string TestCluster::blob_literal(const std::string& bytes) const {
  return cluster_ ? "'\\x" + to_hex(bytes) + "'::bytea" : "x'" + to_hex(bytes) + "'";
}

}  // namespace fastchat::itest
