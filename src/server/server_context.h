// ServerContext: the shared parts every session and request handler uses. Owned by
// Server; each member documents its own thread-safety (all are safe to share).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>

#include "cluster/bus.h"
#include "common/clock.h"
#include "crypto/server_auth.h"
#include "server/group_committer.h"
#include "server/login_limiter.h"
#include "server/server_config.h"
#include "server/session_registry.h"
#include "server/store_worker.h"
#include "server/user_directory.h"
#include "tls/tls_context.h"

namespace fastchat::server {

class BundleRateLimiter;
class LoopShard;
class SendRateLimiter;

// Counters bumped per connection or per error, not per frame (those are each loop's
// own: LoopCounters).
struct ServerCounters {
  std::atomic<std::uint64_t> connections_open{0};
  std::atomic<std::uint64_t> connections_total{0};
  std::atomic<std::uint64_t> protocol_errors{0};
  std::atomic<std::uint64_t> task_failures{0};  // asynchronous work that threw
  std::atomic<std::uint64_t> sends_rate_limited{0};
  std::atomic<std::uint64_t> idle_closed{0};  // logged-in connections silent too long
  std::atomic<std::uint64_t> tls_handshakes_full{0};
  std::atomic<std::uint64_t> tls_handshakes_resumed{0};  // TLS 1.3 session tickets
};

struct ServerContext {
  const ServerConfig& config;
  const Clock& clock;
  StoreWorker& worker;
  GroupCommitter& committer;
  SessionRegistry& registry;
  UserDirectory& directory;
  LoginLimiter& limiter;
  const crypto::ServerAuth& auth;
  cluster::Bus& bus;
  ServerCounters& counters;
  const tls::ServerTls* tls = nullptr;                // null: plaintext (--insecure-plaintext)
  BundleRateLimiter* bundle_limiter = nullptr;        // FetchPrekeyBundles; null: unlimited
  SendRateLimiter* send_limiter = nullptr;            // Send, per user; null: unlimited
  std::span<const std::unique_ptr<LoopShard>> loops;  // every event loop's own state
};

}  // namespace fastchat::server
