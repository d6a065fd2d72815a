#include "cluster/redis_bus.h"

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <asio/post.hpp>
#include <charconv>
#include <future>
#include <unordered_set>

#include "cluster/redis_schema.h"

namespace fastchat::cluster {

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kSweepBatch = 1000;
constexpr long long kSweepRetired = -2;  // the sweep script's answer to its last call
constexpr std::size_t kOnlineQueryChunk = 1000;
constexpr auto kFarewellTimeout = std::chrono::seconds(2);

std::string users_key(std::string_view server_id) {
  return "fc:users:" + std::string(server_id);
}

// "<uid>:<username>" members of fc:users:<id>.
bool parse_member(std::string_view member, UserId& user, std::string_view& username) {
  const auto colon = member.find(':');
  if (colon == std::string_view::npos) return false;
  const auto [end, ec] = std::from_chars(member.data(), member.data() + colon, user);
  if (ec != std::errc() || end != member.data() + colon) return false;
  username = member.substr(colon + 1);
  return !username.empty();
}

}  // namespace

Result<std::unique_ptr<RedisBus>> RedisBus::create(RedisBusOptions options) {
  auto endpoint = parse_redis_url(options.redis_url);
  if (!endpoint) return endpoint.status();
  if (!schema::valid_server_id(options.advert.id)) {
    return Status(Code::kBadRequest,
                  "server id '" + options.advert.id + "' must be 1-64 of A-Z a-z 0-9 . _ : -");
  }
  if (options.advert.host.empty() || options.advert.port == 0) {
    return Status(Code::kBadRequest, "the server's public address is not set");
  }
  if (Status s = ping_redis(*endpoint, options.redis.connect_timeout); !s) return s;
  return std::unique_ptr<RedisBus>(new RedisBus(std::move(options), std::move(*endpoint)));
}

RedisBus::RedisBus(RedisBusOptions options, RedisEndpoint endpoint)
    : options_(std::move(options)),
      endpoint_(std::move(endpoint)),
      own_channel_(schema::server_channel(options_.advert.id)),
      work_(asio::make_work_guard(io_)),
      maintenance_timer_(io_) {}

RedisBus::~RedisBus() {
  stop();
}

void RedisBus::start(BusHandlers handlers) {
  if (started_) return;
  started_ = true;
  handlers_ = std::move(handlers);  // before running_: publish_delivery reads it
  running_ = true;
  asio::post(io_, [this] {
    commands_ = std::make_unique<RedisConnection>(io_, endpoint_, options_.advert.id + "/commands",
                                                  options_.redis);
    subscriber_ = std::make_unique<RedisConnection>(
        io_, endpoint_, options_.advert.id + "/subscriber", options_.redis);
    heartbeat_ = std::make_unique<Heartbeat>(io_, *commands_, options_.advert,
                                             options_.connection_count, options_.registry);
    subscriber_->subscribe(
        own_channel_, [this](std::string_view payload) { on_server_message(payload); },
        [this] { on_subscription_ready(); });
    subscriber_->subscribe(
        std::string(schema::kPresenceChannel),
        [this](std::string_view payload) {
          if (!options_.intercept_control) {
            on_control_message(payload);
            return;
          }
          options_.intercept_control(payload, [this, held = std::string(payload)] {
            asio::post(io_, [this, held] { on_control_message(held); });
          });
        },
        [this] { on_subscription_ready(); });
    subscriber_->start([this] { subscriptions_confirmed_ = 0; }, [this] { on_subscriber_down(); });
    commands_->start([this] { on_commands_up(); }, [this] { update_connected(); });
    heartbeat_->start([this](bool lapsed) { on_beat(lapsed); });
    maintenance();
  });
  thread_ = std::thread([this] {
    block_sigpipe_on_this_thread();
    io_.run();
  });
  spdlog::info("redis bus: server '{}' on {}", options_.advert.id, endpoint_.to_string());
}

void RedisBus::stop() {
  if (stopped_ || !started_) return;
  stopped_ = true;
  running_ = false;
  auto farewell_done = std::make_shared<std::promise<void>>();
  auto future = farewell_done->get_future();
  asio::post(io_, [this, farewell_done] {
    auto once = std::make_shared<bool>(false);
    farewell([farewell_done, once] {
      if (!std::exchange(*once, true)) farewell_done->set_value();
    });
  });
  if (future.wait_for(kFarewellTimeout) != std::future_status::ready) {
    spdlog::warn("redis bus: Redis did not confirm the shutdown in time");
  }
  asio::post(io_, [this] {
    maintenance_timer_.cancel();
    heartbeat_.reset();
    if (subscriber_) subscriber_->stop();
    if (commands_) commands_->stop();
    routes_.clear();
    routed_.clear();
    work_.reset();
  });
  thread_.join();
  // Destroyed on this thread once the bus thread is gone: nothing runs on them now.
  heartbeat_.reset();
  subscriber_.reset();
  commands_.reset();
}

// --- deliveries -------------------------------------------------------------------

void RedisBus::publish_delivery(UserId recipient, std::uint64_t seq,
                                std::shared_ptr<const std::string> frame) {
  // This server's own sessions: directly (a no-op when it has none).
  if (handlers_.on_delivery) handlers_.on_delivery(recipient, seq, frame);
  if (!running_) return;
  asio::post(io_, [this, recipient, item = Waiting{std::move(frame), seq, SteadyClock::now()}] {
    route(recipient, item);
  });
}

void RedisBus::route(UserId recipient, Waiting item) {
  note_routed(recipient, item.seq);
  auto it = routes_.find(recipient);
  if (it == routes_.end()) {
    if (routes_.size() >= options_.max_routes) {
      std::erase_if(routes_, [](const auto& entry) { return !entry.second.resolving; });
    }
    it = routes_.try_emplace(recipient).first;
  }
  Route& r = it->second;
  if (r.resolving) {
    if (r.waiting.size() < options_.max_waiting_frames) {
      r.waiting.push_back(std::move(item));
    } else {
      note_dropped(1);
    }
    return;
  }
  if (SteadyClock::now() < r.expires) {
    if (!subscriber_ready_) note_dropped(1);  // the cached route may be stale (see lookup)
    if (!r.channels.empty()) publish_to(r.channels, recipient, {std::move(item)});
    return;
  }
  r.waiting.push_back(std::move(item));
  lookup(recipient);
}

void RedisBus::lookup(UserId recipient) {
  Route& r = routes_[recipient];
  r.resolving = true;
  route_lookups_.fetch_add(1, std::memory_order_relaxed);
  const std::string key = schema::presence_key(recipient);
  auto on_reply = [this, recipient, generation = r.generation](const redisReply* reply) {
    auto it = routes_.find(recipient);
    if (it == routes_.end()) return;
    Route& route = it->second;
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
      note_dropped(route.waiting.size());
      routes_.erase(it);
      return;
    }
    if (route.generation != generation) {  // the user's servers changed meanwhile: ask again
      lookup(recipient);
      return;
    }
    route.channels.clear();
    for (std::size_t i = 0; i < reply->elements; ++i) {
      const std::string_view server = reply_string(reply->element[i]);
      if (server != options_.advert.id && schema::valid_server_id(server)) {
        route.channels.push_back(schema::server_channel(server));
      }
    }
    route.expires = SteadyClock::now() + options_.route_ttl;
    route.resolving = false;
    const auto channels = route.channels;
    auto waiting = std::move(route.waiting);
    route.waiting.clear();
    if (!subscriber_ready_) {
      // Presence events are not reaching us, so this answer may already be stale (a
      // user re-registering after a Redis restart): let the others re-read inboxes.
      note_dropped(waiting.size());
    }
    if (!channels.empty()) publish_to(channels, recipient, waiting);
  };
  if (!commands_->command({"SMEMBERS", key}, std::move(on_reply))) {
    note_dropped(r.waiting.size());
    routes_.erase(recipient);
  }
}

void RedisBus::publish_to(const std::vector<std::string>& channels, UserId recipient,
                          const std::vector<Waiting>& items) {
  for (const auto& item : items) {
    const std::string payload = schema::encode_delivery(recipient, item.seq, *item.frame);
    for (const auto& channel : channels) {
      auto on_reply = [this, recipient, since = item.since](const redisReply* reply) {
        if (!reply || reply->type == REDIS_REPLY_ERROR) {
          note_dropped(1);
          return;
        }
        published_.fetch_add(1, std::memory_order_relaxed);
        if (options_.on_publish_latency) {
          options_.on_publish_latency(
              std::chrono::duration<double>(SteadyClock::now() - since).count());
        }
        long long receivers = 0;
        if (reply_integer(reply, receivers) && receivers == 0) {
          invalidate(recipient);  // that server is gone: the route is stale
        }
      };
      if (!commands_->command({"PUBLISH", channel, payload}, std::move(on_reply))) {
        note_dropped(1);
      }
    }
  }
}

void RedisBus::invalidate(UserId user) {
  auto it = routes_.find(user);
  if (it == routes_.end()) return;
  if (it->second.resolving) {
    ++it->second.generation;
  } else {
    routes_.erase(it);
  }
}

void RedisBus::note_routed(UserId recipient, std::uint64_t seq) {
  const auto now = SteadyClock::now();
  if (routed_.size() >= options_.max_routes && !routed_.contains(recipient)) {
    prune_routed();
    if (routed_.size() >= options_.max_routes) {
      // Too many to remember: the catch-ups they might need become one broadcast
      // resync, and every server replays its sessions' inboxes.
      routed_.clear();
      note_dropped(1);
    }
  }
  Routed& r = routed_[recipient];
  r.seq = std::max(r.seq, seq);
  r.at = now;
}

void RedisBus::prune_routed() {
  const auto oldest = SteadyClock::now() - options_.catch_up_window;
  std::erase_if(routed_, [oldest](const auto& entry) { return entry.second.at < oldest; });
}

void RedisBus::request_catch_up(UserId user, const std::string& server) {
  if (server == options_.advert.id || !schema::valid_server_id(server)) return;
  auto it = routed_.find(user);
  if (it == routed_.end()) return;
  if (SteadyClock::now() - it->second.at > options_.catch_up_window) {
    routed_.erase(it);
    return;
  }
  // Pushes up to this seq may have been routed without `server` (the event arrives
  // after them): it sends its sessions of the user what they are missing.
  const std::uint64_t up_to = it->second.seq;
  auto on_reply = [this](const redisReply* reply) {
    if (!reply || reply->type == REDIS_REPLY_ERROR) note_dropped(1);
  };
  if (!commands_->command(
          {"PUBLISH", schema::server_channel(server), schema::encode_delivery(user, up_to, {})},
          std::move(on_reply))) {
    note_dropped(1);
    return;
  }
  catch_ups_sent_.fetch_add(1, std::memory_order_relaxed);
  spdlog::debug("redis bus: catch-up for user {} up to seq {} sent to '{}'", user, up_to, server);
}

void RedisBus::note_dropped(std::size_t n) {
  if (n == 0) return;
  publish_dropped_.fetch_add(n, std::memory_order_relaxed);
  dropped_since_up_ = true;
}

void RedisBus::announce_drops() {
  if (!dropped_since_up_ || !connected_) return;
  // Deliveries to other servers were lost: they re-read inboxes.
  dropped_since_up_ = false;
  publish_resync(server_id());
}

void RedisBus::publish_resync(const std::string& lost_by) {
  commands_->command({"PUBLISH", schema::kPresenceChannel, schema::encode_resync(lost_by)});
}

void RedisBus::on_server_message(std::string_view payload) {
  auto delivery = schema::decode_delivery(payload);
  if (!delivery) {
    spdlog::warn("redis bus: malformed delivery of {} bytes", payload.size());
    return;
  }
  if (delivery->recipient == 0) {  // our own probe came back: the subscription works
    last_probe_seen_ = SteadyClock::now();
    probes_unanswered_ = 0;
    return;
  }
  if (delivery->catch_up()) {
    catch_ups_received_.fetch_add(1, std::memory_order_relaxed);
    if (handlers_.on_catch_up) handlers_.on_catch_up(delivery->recipient, delivery->seq);
    return;
  }
  received_.fetch_add(1, std::memory_order_relaxed);
  if (handlers_.on_delivery) {
    handlers_.on_delivery(delivery->recipient, delivery->seq,
                          std::make_shared<const std::string>(delivery->frame));
  }
}

// --- presence ---------------------------------------------------------------------

void RedisBus::session_opened(UserId user, std::string_view username) {
  {
    std::lock_guard lock(local_mutex_);
    auto& local = local_[user];
    if (++local.sessions != 1) return;
    local.username = std::string(username);
  }
  if (!running_) return;
  asio::post(io_, [this, user, name = std::string(username)] { send_presence(user, name, true); });
}

void RedisBus::session_closed(UserId user, std::string_view username) {
  {
    std::lock_guard lock(local_mutex_);
    auto it = local_.find(user);
    if (it == local_.end()) return;
    if (--it->second.sessions != 0) return;
    local_.erase(it);
  }
  if (!running_) return;
  asio::post(io_, [this, user, name = std::string(username)] { send_presence(user, name, false); });
}

void RedisBus::send_presence(UserId user, const std::string& username, bool open) {
  // Not up: the resync after the reconnect writes the current state.
  if (!commands_ || !commands_->connected()) return;
  schema::run_script(*commands_, open ? schema::open_script() : schema::close_script(),
                     {options_.advert.id, std::to_string(user), username});
}

void RedisBus::request_resync() {
  if (!running_) return;
  asio::post(io_, [this] {
    dropped_since_up_ = true;
    announce_drops();  // now, or once connected again
  });
}

void RedisBus::publish_revocation(const SessionRevocation& revocation) {
  if (handlers_.on_revoked) handlers_.on_revoked(revocation);
  if (!running_) return;
  asio::post(io_, [this, revocation] {
    if (!commands_) return;
    // A server that misses it (Redis down) still refuses the revoked token on its next
    // resume: the store is the truth.
    commands_->command(
        {"PUBLISH", schema::kPresenceChannel,
         schema::encode_revocation(revocation.user, revocation.session_id, revocation.all_but)});
  });
}

void RedisBus::on_control_message(std::string_view payload) {
  auto message = schema::decode_control(payload);
  if (message.presence) {
    const auto& event = *message.presence;
    if (event.online) request_catch_up(event.user, event.server_id);
    invalidate(event.user);
    if (event.transition && handlers_.on_presence) {
      handlers_.on_presence({event.user, event.username, event.online});
    }
  } else if (message.revocation) {
    // This server closed its own at publish time; closing again finds nothing.
    const auto& r = *message.revocation;
    if (handlers_.on_revoked) handlers_.on_revoked({r.user, r.session_id, r.all_but});
  } else if (message.resync) {
    if (message.resync->server_id == options_.advert.id) return;
    spdlog::info("redis bus: server '{}' may have dropped deliveries; re-reading inboxes",
                 message.resync->server_id);
    reconnects_.fetch_add(1, std::memory_order_relaxed);
    if (handlers_.on_reconnected) handlers_.on_reconnected();
  } else {
    spdlog::warn("redis bus: malformed control message of {} bytes", payload.size());
  }
}

void RedisBus::resync_presence() {
  // What Redis says this server holds, against what it holds: each difference is
  // written with the same scripts as a live change (both are idempotent).
  auto on_reply = [this](const redisReply* reply) {
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
      need_resync_ = true;  // try again on the next beat
      return;
    }
    std::unordered_set<std::string> remote;
    for (std::size_t i = 0; i < reply->elements; ++i)
      remote.emplace(reply_string(reply->element[i]));
    std::vector<std::pair<UserId, std::string>> local;
    {
      std::lock_guard lock(local_mutex_);
      local.reserve(local_.size());
      for (const auto& [user, state] : local_)
        local.emplace_back(user, state.username);
    }
    std::size_t opened = 0;
    for (const auto& [user, username] : local) {
      if (remote.erase(std::to_string(user) + ":" + username) == 0) {
        send_presence(user, username, true);
        ++opened;
      }
    }
    for (const auto& member : remote) {
      UserId user = 0;
      std::string_view username;
      if (parse_member(member, user, username)) send_presence(user, std::string(username), false);
    }
    if (opened > 0 || !remote.empty()) {
      spdlog::info("redis bus: presence resynced ({} users online here, {} written, {} removed)",
                   local.size(), opened, remote.size());
    }
  };
  if (!commands_->command({"SMEMBERS", users_key(options_.advert.id)}, std::move(on_reply))) {
    need_resync_ = true;
  }
}

void RedisBus::query_online(std::vector<UserId> users,
                            std::function<void(std::vector<bool>)> done) {
  if (!running_) {
    done(local_online(users));
    return;
  }
  asio::post(io_, [this, users = std::move(users), done = std::move(done)]() mutable {
    run_online_query(std::move(users), std::move(done));
  });
}

std::vector<bool> RedisBus::local_online(const std::vector<UserId>& users) {
  std::vector<bool> online(users.size());
  std::lock_guard lock(local_mutex_);
  for (std::size_t i = 0; i < users.size(); ++i)
    online[i] = local_.contains(users[i]);
  return online;
}

void RedisBus::run_online_query(std::vector<UserId> users,
                                std::function<void(std::vector<bool>)> done) {
  if (users.empty()) {
    done({});
    return;
  }
  // Chunks keep each script call short; the answer is assembled when all are in.
  struct Query {
    std::vector<UserId> users;
    std::vector<bool> online;
    std::size_t outstanding = 0;
    bool failed = false;
    std::function<void(std::vector<bool>)> done;
  };
  auto query = std::make_shared<Query>();
  query->online.assign(users.size(), false);
  query->users = std::move(users);
  query->done = std::move(done);
  auto finish = [this](Query& q) {
    // Without Redis, this server's own knowledge is the best answer there is.
    if (q.failed) q.online = local_online(q.users);
    q.done(std::move(q.online));
  };
  const std::size_t n = query->users.size();
  query->outstanding = (n + kOnlineQueryChunk - 1) / kOnlineQueryChunk;
  for (std::size_t begin = 0; begin < n; begin += kOnlineQueryChunk) {
    const std::size_t end = std::min(n, begin + kOnlineQueryChunk);
    std::vector<std::string> args;
    args.reserve(end - begin);
    for (std::size_t i = begin; i < end; ++i)
      args.push_back(std::to_string(query->users[i]));
    auto on_reply = [query, begin, end, finish](const redisReply* reply) {
      if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != end - begin) {
        query->failed = true;
      } else {
        for (std::size_t i = begin; i < end; ++i) {
          long long v = 0;
          query->online[i] = reply_integer(reply->element[i - begin], v) && v == 1;
        }
      }
      if (--query->outstanding == 0) finish(*query);
    };
    if (!commands_->connected() ||
        !schema::run_script(*commands_, schema::online_script(), std::move(args), on_reply)) {
      query->failed = true;
      if (--query->outstanding == 0) finish(*query);
    }
  }
}

// --- connection life ----------------------------------------------------------------

void RedisBus::on_commands_up() {
  schema::load_scripts(*commands_);
  // Changes made while disconnected were not written: the beat's answer triggers a
  // presence resync (on_beat).
  need_resync_ = true;
  heartbeat_->beat_now();
  update_connected();
  announce_drops();
}

void RedisBus::on_beat(bool lapsed) {
  // A lapsed entry means peers may have swept this server's users offline.
  if (lapsed || need_resync_) {
    need_resync_ = false;
    resync_presence();
  }
}

void RedisBus::on_subscription_ready() {
  if (++subscriptions_confirmed_ != 2) return;
  subscriber_ready_ = true;
  last_probe_seen_ = SteadyClock::now();
  probes_unanswered_ = 0;
  bool sessions_here;
  {
    std::lock_guard lock(local_mutex_);
    sessions_here = !local_.empty();
  }
  // Notifications published while we were not subscribed are lost: the sessions
  // re-read their inboxes. (On the very first subscription only if any exist.)
  if (subscriber_was_ready_ || sessions_here) {
    // Presence events were missed too: forget every route (lookups in flight ask again).
    for (auto it = routes_.begin(); it != routes_.end();) {
      ++it->second.generation;
      it = it->second.resolving ? std::next(it) : routes_.erase(it);
    }
    reconnects_.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("redis bus: subscribed again; sessions re-read their inboxes");
    if (handlers_.on_reconnected) handlers_.on_reconnected();
  }
  subscriber_was_ready_ = true;
  update_connected();
  announce_drops();
}

void RedisBus::on_subscriber_down() {
  subscriber_ready_ = false;
  subscriptions_confirmed_ = 0;
  update_connected();
}

void RedisBus::update_connected() {
  connected_ = subscriber_ready_ && commands_ && commands_->connected();
}

void RedisBus::maintenance() {
  if (!running_) return;
  prune_routed();
  announce_drops();
  if (commands_->connected()) {
    // Probe our own subscription: PUBLISH answers how many subscribers got it.
    if (subscriber_ready_) {
      ++probes_unanswered_;
      auto on_probe = [this](const redisReply* reply) {
        long long receivers = -1;
        if (reply_integer(reply, receivers) && receivers == 0 && subscriber_ready_) {
          spdlog::warn("redis bus: Redis lost our subscription; resubscribing");
          subscriber_->reset();
        }
      };
      commands_->command({"PUBLISH", own_channel_, schema::encode_delivery(0, 0, {})}, on_probe);
      if (SteadyClock::now() - last_probe_seen_ > options_.probe_timeout &&
          probes_unanswered_ > 1) {
        spdlog::warn("redis bus: subscription probes stopped arriving; resubscribing");
        subscriber_->reset();
        probes_unanswered_ = 0;
      }
    }
    list_servers(*commands_, [this](Result<ServerList> list) {
      if (!list) return;
      for (const auto& dead : list->dead) {
        if (dead != options_.advert.id) sweep(dead);
      }
    });
  }
  update_connected();
  maintenance_timer_.expires_after(options_.maintenance_period);
  maintenance_timer_.async_wait([this](const asio::error_code& ec) {
    if (!ec) maintenance();
  });
}

void RedisBus::sweep(const std::string& dead_server) {
  auto on_reply = [this, dead_server](const redisReply* reply) {
    long long left = 0;
    if (!reply_integer(reply, left)) return;
    if (left > 0 && running_) sweep(dead_server);
    if (left == kSweepRetired) {
      // A server that died may have committed messages it never published (kill -9
      // between its commit and its PUBLISH): their recipients elsewhere get them from
      // their inboxes when every server re-reads its sessions' inboxes.
      spdlog::info("redis bus: server '{}' is gone; servers re-read inboxes", dead_server);
      publish_resync(dead_server);
    }
  };
  schema::run_script(*commands_, schema::sweep_script(),
                     {dead_server, std::to_string(kSweepBatch), "0"}, on_reply);
}

void RedisBus::farewell(std::function<void()> done) {
  if (!commands_ || !commands_->connected() || !heartbeat_) {
    done();
    return;
  }
  std::vector<std::pair<UserId, std::string>> local;
  {
    std::lock_guard lock(local_mutex_);
    for (const auto& [user, state] : local_)
      local.emplace_back(user, state.username);
  }
  for (const auto& [user, username] : local)
    send_presence(user, username, false);
  // Replies come in order: once the deregistration is answered, all is written.
  heartbeat_->stop(/*deregister=*/true, std::move(done));
}

RedisBusStats RedisBus::stats() const {
  RedisBusStats s;
  s.published = published_.load(std::memory_order_relaxed);
  s.publish_dropped = publish_dropped_.load(std::memory_order_relaxed);
  s.received = received_.load(std::memory_order_relaxed);
  s.route_lookups = route_lookups_.load(std::memory_order_relaxed);
  s.reconnects = reconnects_.load(std::memory_order_relaxed);
  s.catch_ups_sent = catch_ups_sent_.load(std::memory_order_relaxed);
  s.catch_ups_received = catch_ups_received_.load(std::memory_order_relaxed);
  s.connected = connected_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace fastchat::cluster
