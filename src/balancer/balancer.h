// Balancer: fastchat-balancer, the "superserver". A client connects, says Hello, asks
// Locate and is told which chat server to use (ServerAddress, or NO_SERVER), then the
// balancer closes the connection. Over TLS 1.3 with the cluster's identity (the
// servers' certificate and key) unless configured for plaintext. It keeps no state of its own
// beyond a cached copy of the server registry (refreshed from Redis a few times a second) and its
// recent assignments, so any number of balancers can run side by side.
//
// Thread safety: start() and stop() from one controlling thread; port(), admin_port()
// and stats() from any thread after start(). Everything else runs on the balancer's
// one event loop (a Locate costs microseconds; one core answers many thousands/s).
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "balancer/server_picker.h"
#include "cluster/redis_connection.h"
#include "common/clock.h"
#include "common/status.h"
#include "tls/tls_context.h"

namespace fastchat::ops {
class AdminServer;
}

namespace fastchat::balancer {

struct BalancerConfig {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 7700;  // 0 picks a free port
  std::string redis_url;
  Strategy strategy = Strategy::kLeastConnections;
  std::string admin_listen;  // HOST:PORT for /metrics and /healthz; empty: none
  std::string ready_file;    // written with "HOST:PORT\n" once listening
  std::chrono::milliseconds refresh_period{250};
  std::chrono::milliseconds client_timeout{5000};  // to finish Hello + Locate
  std::size_t max_connections = 10'000;
  std::uint64_t seed = 0;  // 0: random
  // TLS 1.3 with the cluster's identity: the same certificate and key as its servers
  // (clients check that the server named is of the same cluster). Required unless
  // insecure_plaintext (loopback benchmarks only).
  std::string tls_cert_file;
  std::string tls_key_file;
  bool insecure_plaintext = false;
};

struct BalancerStats {
  std::uint64_t located = 0;    // ServerAddress answers
  std::uint64_t no_server = 0;  // NO_SERVER answers
  std::uint64_t bad_requests = 0;
  std::uint64_t connections_open = 0;
  std::uint64_t live_servers = 0;
  bool registry_fresh = false;  // the last registry read succeeded
};

class Balancer {
 public:
  explicit Balancer(BalancerConfig config, const Clock& clock = SystemClock::instance());
  ~Balancer();
  Balancer(const Balancer&) = delete;
  Balancer& operator=(const Balancer&) = delete;

  // Checks Redis, binds the listener (and the admin endpoint) and starts serving.
  // kBadRequest, kUnavailable, kIo; nothing is left running on failure.
  Status start();
  void stop();

  std::uint16_t port() const { return port_; }
  std::uint16_t admin_port() const;
  BalancerStats stats() const;

 private:
  void accept();
  asio::awaitable<void> serve(asio::ip::tcp::socket socket);
  void refresh();
  Status health() const;

  BalancerConfig config_;
  const Clock& clock_;
  cluster::RedisEndpoint endpoint_;
  asio::io_context io_{1};
  std::unique_ptr<asio::ip::tcp::acceptor> acceptor_;
  std::unique_ptr<cluster::RedisConnection> redis_;
  std::unique_ptr<asio::steady_timer> refresh_timer_;
  std::unique_ptr<ops::AdminServer> admin_;
  ServerPicker picker_;
  std::thread thread_;
  std::uint16_t port_ = 0;
  bool started_ = false;
  bool stopped_ = false;

  std::shared_ptr<const tls::ServerTls> tls_;  // null: plaintext
  std::atomic<std::uint64_t> located_{0};
  std::atomic<std::uint64_t> no_server_{0};
  std::atomic<std::uint64_t> bad_requests_{0};
  std::atomic<std::uint64_t> task_failures_{0};
  std::atomic<std::uint64_t> connections_open_{0};
  std::atomic<std::uint64_t> live_servers_{0};
  std::atomic<bool> registry_fresh_{false};
};

}  // namespace fastchat::balancer
