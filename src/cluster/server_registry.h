// The server registry in Redis: each chat server announces its public address and
// connection count with a heartbeat that expires (fc:server:<id>, redis_schema.h);
// the balancer and the servers list the live ones. A server killed with -9 drops out
// when its TTL runs out.
//
// Thread safety: none. Like RedisConnection, everything runs on the thread of the
// connection's io_context.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cluster/redis_connection.h"
#include "common/clock.h"
#include "common/status.h"

namespace fastchat::cluster {

// What a server announces about itself.
struct ServerAdvert {
  std::string id;
  std::string host;
  std::uint16_t port = 0;
};

struct ServerEntry {
  std::string id;
  std::string host;
  std::uint16_t port = 0;
  std::uint64_t connections = 0;
  std::uint64_t beat = 0;   // heartbeats since the entry was (re)created
  std::int64_t ttl_ms = 0;  // time left before it expires, when read
};

struct ServerList {
  std::vector<ServerEntry> live;  // by id
  std::vector<std::string> dead;  // indexed but expired: their presence needs sweeping
};

struct RegistryTiming {
  std::chrono::milliseconds ttl{3000};
  std::chrono::milliseconds period{1000};
};

// One round trip; `done` gets kUnavailable when Redis is unreachable.
void list_servers(RedisConnection& redis, std::function<void(Result<ServerList>)> done);
// Parses the list script's reply (exposed for tests).
Result<ServerList> parse_server_list(const redisReply* reply);

// Keeps one server's entry alive: a heartbeat every `period`, expiring after `ttl`.
class Heartbeat {
 public:
  // `connections` is read at each beat, on this thread.
  Heartbeat(asio::io_context& io, RedisConnection& redis, ServerAdvert advert,
            std::function<std::uint64_t()> connections, RegistryTiming timing = {},
            const Clock& clock = SystemClock::instance());
  ~Heartbeat();

  // Beats now and every period. `on_beat(lapsed)` runs after each beat Redis took;
  // lapsed = the entry had expired before it (peers may have swept this server's
  // presence meanwhile, so it must be written again).
  void start(std::function<void(bool lapsed)> on_beat = {});
  // An extra beat right away (e.g. after a reconnect).
  void beat_now();
  // Stops beating; with `deregister`, removes the entry too (`done` once Redis took
  // it, or failed).
  void stop(bool deregister = false, std::function<void()> done = {});

  const ServerAdvert& advert() const { return advert_; }

 private:
  void schedule();
  void beat();

  asio::io_context& io_;
  RedisConnection& redis_;
  ServerAdvert advert_;
  std::function<std::uint64_t()> connections_;
  RegistryTiming timing_;
  const Clock& clock_;
  std::function<void(bool)> on_beat_;
  asio::steady_timer timer_;
  bool running_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace fastchat::cluster
