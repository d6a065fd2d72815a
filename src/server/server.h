// Server: one fastchat chat server. Owns the event loops (one per core, each with
// its own SO_REUSEPORT acceptor: shared-nothing accept), the store and its workers,
// the group committer, the bus and the session registry.
//
// Thread safety: start() and stop() from one controlling thread; port() and
// counters() from any thread after start().
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "cluster/bus.h"
#include "common/clock.h"
#include "common/status.h"
#include "server/loop_shard.h"
#include "server/server_config.h"
#include "server/server_context.h"
#include "tls/tls_context.h"

namespace fastchat::cluster {
class RedisBus;
}

namespace fastchat::server {

class ServerMetrics;
class IdleSweeper;
class TombstoneSweeper;

class Server {
 public:
  // `bus` may be null: a LocalBus (single node) is used then, or a RedisBus when
  // config.redis_url is set.
  explicit Server(ServerConfig config, const Clock& clock = SystemClock::instance(),
                  std::unique_ptr<cluster::Bus> bus = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Opens the store, binds the listeners and starts serving. kUnavailable / kIo on
  // failure (nothing is left running).
  Status start();
  // Stops accepting, commits everything queued (nothing acknowledged is ever lost,
  // and nothing queued is dropped), then stops the loops. Idempotent.
  void stop();

  std::uint16_t port() const { return port_; }
  const ServerCounters& counters() const { return counters_; }
  // Every loop's per-frame counters, summed.
  LoopTotals loop_totals() const;
  std::size_t online_sessions() const;
  CommitStats commit_stats() const;
  std::uint16_t admin_port() const;
  // The key fingerprint clients pin ("" with --insecure-plaintext), and the
  // certificate file presented (generated in the data dir when none was given).
  const std::string& tls_fingerprint() const { return tls_fingerprint_; }
  const std::string& tls_cert_file() const { return tls_cert_file_; }

 private:
  void accept_loop(std::size_t loop);
  Status write_ready_file() const;
  // Cluster and operations wiring (RedisBus, registry, admin endpoint): server.cpp's
  // last section.
  Status start_cluster();
  Status start_tls();
  Status check_server_key(const std::string& secret_path);
  Status health() const;

  ServerConfig config_;
  const Clock& clock_;
  std::unique_ptr<cluster::Bus> bus_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<StoreWorker> worker_;
  std::unique_ptr<GroupCommitter> committer_;
  std::unique_ptr<crypto::ServerAuth> auth_;
  SessionRegistry registry_;
  UserDirectory directory_;
  std::unique_ptr<LoginLimiter> limiter_;
  std::unique_ptr<BundleRateLimiter> bundle_limiter_;
  std::unique_ptr<SendRateLimiter> send_limiter_;
  ServerCounters counters_;
  std::unique_ptr<ServerContext> context_;
  std::unique_ptr<ServerMetrics> metrics_;
  std::unique_ptr<TombstoneSweeper> sweeper_;
  std::unique_ptr<IdleSweeper> idle_sweeper_;
  cluster::RedisBus* redis_bus_ = nullptr;     // bus_, when it is a RedisBus
  std::shared_ptr<const tls::ServerTls> tls_;  // null: plaintext
  std::string tls_fingerprint_;
  std::string tls_cert_file_;

  std::vector<std::unique_ptr<LoopShard>> shards_;  // one per loop; outlive the sessions
  std::vector<std::unique_ptr<asio::io_context>> loops_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
  std::vector<std::thread> threads_;
  std::uint16_t port_ = 0;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace fastchat::server
