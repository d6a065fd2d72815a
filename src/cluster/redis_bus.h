// RedisBus: the cluster Bus. Servers talk through Redis pub/sub: each server
// subscribes to its own channel (fc:srv:<id>) and to fc:presence; a delivery goes
// straight to this server's sessions and is PUBLISHed to every other server that
// holds a session of the recipient (looked up in Redis, cached, invalidated by
// presence events). Presence and the server registry live in Redis with expiring
// heartbeats, so a kill -9'd server's users go offline when its entry expires.
// Layout of keys and channels: redis_schema.h; docs/cluster.md.
//
// Redis carries only what the server already sees (ciphertext pushes, ids, names)
// and is never the source of truth: a lost notification is still in the inbox, and
// on_reconnected tells the server when notifications may have been lost.
//
// Thread safety: Bus methods may be called from any thread. The bus runs its own
// io_context on one thread of its own ("the bus thread"): Redis I/O never blocks a
// caller. Handlers run on the bus thread, except on_delivery for this server's own
// sessions, which runs on the caller's thread of publish_delivery.
#pragma once

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cluster/bus.h"
#include "cluster/redis_connection.h"
#include "cluster/server_registry.h"
#include "common/status.h"

namespace fastchat::cluster {

struct RedisBusOptions {
  std::string redis_url;  // redis://HOST:PORT[/DB] or unix://PATH
  ServerAdvert advert;    // this server: unique id and the address clients should use
  // This server's open connections, for the registry (the balancer's load figure).
  // Called on the bus thread; must be thread-safe.
  std::function<std::uint64_t()> connection_count;
  RegistryTiming registry;
  RedisOptions redis;
  // A cached route (which servers hold a user's sessions) is trusted this long
  // unless a presence event invalidates it first.
  std::chrono::milliseconds route_ttl{10'000};
  // How often dead servers' presence is swept, and the subscription probed.
  std::chrono::milliseconds maintenance_period{1000};
  // The subscription is re-established when its own probe does not come back.
  std::chrono::milliseconds probe_timeout{5000};
  std::size_t max_waiting_frames = 4096;  // per recipient, while its route is looked up
  std::size_t max_routes = 200'000;
  // A presence event saying that another server gained a session of a user to whom this
  // server routed a push less than this long ago makes this server send that server a
  // catch-up request (the push may have been routed before the event, without it). It
  // bounds how late a presence event may be handled; later ones are the outages that
  // the reconnect replays cover.
  std::chrono::milliseconds catch_up_window{30'000};
  // Tests only: every message on fc:presence is handed here first (bus thread) instead
  // of being handled; calling `handle` (from any thread, before stop()) handles it.
  // Lets a test hold a presence event back, as a slow bus thread would.
  std::function<void(std::string_view payload, std::function<void()> handle)> intercept_control;
  // Time from publish_delivery to Redis accepting the PUBLISH (bus thread).
  std::function<void(double seconds)> on_publish_latency;
};

struct RedisBusStats {
  std::uint64_t published = 0;        // PUBLISHes Redis accepted
  std::uint64_t publish_dropped = 0;  // deliveries to other servers that could not be sent
  std::uint64_t received = 0;         // deliveries that arrived from other servers
  std::uint64_t route_lookups = 0;
  std::uint64_t reconnects = 0;      // on_reconnected calls
  std::uint64_t catch_ups_sent = 0;  // catch-up requests sent to other servers
  std::uint64_t catch_ups_received = 0;
  bool connected = false;  // both connections up and subscribed
};

class RedisBus final : public Bus {
 public:
  // Checks the options and that Redis answers (a blocking round trip: call it at
  // start-up, not on an event loop). kBadRequest / kUnavailable.
  static Result<std::unique_ptr<RedisBus>> create(RedisBusOptions options);
  ~RedisBus() override;

  void start(BusHandlers handlers) override;
  // Takes this server's users offline and removes it from the registry (waiting at
  // most a couple of seconds for Redis), then stops the bus thread.
  void stop() override;
  void publish_delivery(UserId recipient, std::uint64_t seq,
                        std::shared_ptr<const std::string> frame) override;
  void session_opened(UserId user, std::string_view username) override;
  void session_closed(UserId user, std::string_view username) override;
  void request_resync() override;
  bool single_node() const override { return false; }
  void query_online(std::vector<UserId> users,
                    std::function<void(std::vector<bool>)> done) override;
  void publish_revocation(const SessionRevocation& revocation) override;

  RedisBusStats stats() const;
  const std::string& server_id() const { return options_.advert.id; }

 private:
  struct Waiting {
    std::shared_ptr<const std::string> frame;
    std::uint64_t seq = 0;
    std::chrono::steady_clock::time_point since;
  };
  // Pushes of a user's inbox this server routed lately: the highest seq and when.
  struct Routed {
    std::uint64_t seq = 0;
    std::chrono::steady_clock::time_point at;
  };
  struct Route {
    std::vector<std::string> channels;  // fc:srv:<id> of the other servers holding the user
    std::chrono::steady_clock::time_point expires;
    std::uint64_t generation = 0;  // bumped by invalidation
    bool resolving = false;
    std::vector<Waiting> waiting;  // frames held while resolving
  };
  struct LocalUser {
    int sessions = 0;
    std::string username;
  };

  RedisBus(RedisBusOptions options, RedisEndpoint endpoint);

  // --- bus thread
  void on_commands_up();
  void on_beat(bool lapsed);
  void on_subscription_ready();
  void on_subscriber_down();
  void on_server_message(std::string_view payload);
  void on_control_message(std::string_view payload);
  void route(UserId recipient, Waiting item);
  void note_routed(UserId recipient, std::uint64_t seq);
  void prune_routed();
  // `server` gained a session of `user`: a catch-up request if pushes were routed lately.
  void request_catch_up(UserId user, const std::string& server);
  void lookup(UserId recipient);
  void publish_to(const std::vector<std::string>& channels, UserId recipient,
                  const std::vector<Waiting>& items);
  void invalidate(UserId user);
  void note_dropped(std::size_t n);
  // Publishes "R <id>" when deliveries were dropped and the bus is connected.
  void announce_drops();
  // Tells every server (this one too, unless `lost_by` is this one) to re-read its
  // sessions' inboxes: deliveries of `lost_by` may have been lost.
  void publish_resync(const std::string& lost_by);
  void send_presence(UserId user, const std::string& username, bool open);
  void resync_presence();
  void maintenance();
  void sweep(const std::string& dead_server);
  void run_online_query(std::vector<UserId> users, std::function<void(std::vector<bool>)> done);
  void farewell(std::function<void()> done);
  void update_connected();

  std::vector<bool> local_online(const std::vector<UserId>& users);

  RedisBusOptions options_;
  RedisEndpoint endpoint_;
  BusHandlers handlers_;  // set once in start(), read-only afterwards
  std::string own_channel_;

  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  bool started_ = false;  // controlling thread
  bool stopped_ = false;

  // Bus thread only.
  std::unique_ptr<RedisConnection> commands_;
  std::unique_ptr<RedisConnection> subscriber_;
  std::unique_ptr<Heartbeat> heartbeat_;
  asio::steady_timer maintenance_timer_;
  std::unordered_map<UserId, Route> routes_;
  std::unordered_map<UserId, Routed> routed_;  // within catch_up_window
  int subscriptions_confirmed_ = 0;
  bool subscriber_ready_ = false;
  bool subscriber_was_ready_ = false;
  bool need_resync_ = true;
  bool dropped_since_up_ = false;
  std::chrono::steady_clock::time_point last_probe_seen_;
  std::size_t probes_unanswered_ = 0;

  // Any thread.
  std::mutex local_mutex_;
  std::unordered_map<UserId, LocalUser> local_;  // this server's users with sessions
  std::atomic<std::uint64_t> published_{0};
  std::atomic<std::uint64_t> publish_dropped_{0};
  std::atomic<std::uint64_t> received_{0};
  std::atomic<std::uint64_t> route_lookups_{0};
  std::atomic<std::uint64_t> reconnects_{0};
  std::atomic<std::uint64_t> catch_ups_sent_{0};
  std::atomic<std::uint64_t> catch_ups_received_{0};
  std::atomic<bool> connected_{false};
};

}  // namespace fastchat::cluster
