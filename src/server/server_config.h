// ServerConfig: everything fastchat-server can be told on its command line.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "server/bundle_rate_limiter.h"
#include "server/login_limiter.h"
#include "server/send_rate_limiter.h"

namespace fastchat::cluster {
struct RedisBusOptions;
}

namespace fastchat::server {

struct ServerConfig {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 7600;  // 0 picks a free port
  // The address clients should be sent to (balancer, Locate); defaults to the listener's.
  std::string public_host;
  std::string data_dir = "./fastchat-data";
  std::string db_url;       // empty: embedded SQLite in data_dir
  std::string secret_file;  // empty: <data_dir>/server.key
  std::string ready_file;   // written with "HOST:PORT\n" once listening
  std::string server_name = "fastchat";
  std::size_t threads = 0;  // event loops; 0 = one per core
  std::size_t store_threads = 4;
  std::size_t max_connections = 200'000;
  std::size_t max_commit_batch = 4096;
  int handshake_timeout_ms = 30'000;  // time to log in after connecting (TLS handshake included)
  // A logged-in connection that sends nothing (not even a Ping) this long is closed;
  // clients ping well within it (client/connection.h). 0: never.
  std::int64_t idle_timeout_ms = 5 * 60 * 1000;
  // --- TLS (docs/deployment.md, "Certificates"): TLS 1.3 on every client link unless
  // insecure_plaintext (loopback benchmarks only). Without a certificate and key, a
  // self-signed one is made in data_dir on first start.
  bool insecure_plaintext = false;
  std::string tls_cert_file;  // PEM chain, leaf first
  std::string tls_key_file;   // PEM private key
  // TLS 1.3 session tickets, sealed with keys derived from the server key (so every
  // server of a cluster resumes the others' sessions) and rotated every period; a
  // ticket is accepted for up to two periods.
  std::chrono::seconds tls_ticket_period{3600};
  // Behind a TCP proxy or load balancer: every connection starts with a PROXY protocol
  // v2 header naming the real client address (limits and logs use it). Connections
  // without one are closed, so only the proxy may reach a server started so.
  bool proxy_protocol = false;
  // Caps (LIMIT_REACHED beyond them). Joining needs no consent, so the first also
  // bounds what anyone can make another user carry.
  std::size_t max_groups_per_user = 2'000;
  std::size_t max_group_members = 10'000;
  // How long after its commit a message's id still makes a retry a duplicate, once
  // every recipient acknowledged it (docs/protocol.md, "Delivery"); swept this often.
  std::int64_t dedupe_window_s = 24 * 60 * 60;
  std::int64_t sweep_interval_ms = 60'000;
  // A session token unused (no login or resume) this long is refused: log in again.
  std::int64_t session_idle_timeout_s = 30LL * 24 * 60 * 60;
  // --- cluster and operations (docs/cluster.md)
  std::string redis_url;     // set: a RedisBus links this server into a cluster
  std::string server_id;     // unique in the cluster; empty: PUBLIC_HOST:PORT
  std::string admin_listen;  // HOST:PORT for /metrics and /healthz; empty: none
  LoginLimits login_limits;  // registrations from loopback are not throttled
  // --- E2EE v2 prekeys (docs/e2ee-v2.md, "Prekeys on the server")
  std::size_t max_one_time_prekeys = 200;  // held per device
  std::size_t max_prekey_devices = 16;     // devices with prekeys per account (at most 64)
  BundleRateLimits bundle_fetch_limits;    // FetchPrekeyBundles per requesting user
  SendRateLimits send_limits;              // messages and bytes per sending user, per server
  // Tests only (no flag): the room for a group reply's content, so that paging can be
  // tested with small groups. 0: one frame's worth.
  std::size_t max_reply_bytes = 0;
  // Tests only (no flag): adjusts the Redis bus's options before it is created.
  std::function<void(cluster::RedisBusOptions&)> tune_redis_bus;
};

}  // namespace fastchat::server
