#include "cluster/server_registry.h"

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "cluster/redis_schema.h"

namespace fastchat::cluster {

namespace {

bool as_uint(const redisReply* reply, std::uint64_t& out, std::uint64_t max) {
  long long value = 0;
  if (!reply_integer(reply, value) || value < 0 || static_cast<std::uint64_t>(value) > max) {
    return false;
  }
  out = static_cast<std::uint64_t>(value);
  return true;
}

}  // namespace

Result<ServerList> parse_server_list(const redisReply* reply) {
  if (!reply) return Status(Code::kUnavailable, "Redis is unreachable");
  if (reply->type == REDIS_REPLY_ERROR) {
    return Status(Code::kUnavailable, "Redis: " + std::string(reply_string(reply)));
  }
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
      reply->element[0]->type != REDIS_REPLY_ARRAY ||
      reply->element[1]->type != REDIS_REPLY_ARRAY) {
    return Status(Code::kInternal, "unexpected reply to the server list script");
  }
  ServerList list;
  const redisReply* live = reply->element[0];
  for (std::size_t i = 0; i < live->elements; ++i) {
    const redisReply* e = live->element[i];
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 6) continue;
    ServerEntry entry;
    entry.id = std::string(reply_string(e->element[0]));
    entry.host = std::string(reply_string(e->element[1]));
    std::uint64_t port = 0;
    long long ttl = 0;
    if (!schema::valid_server_id(entry.id) || entry.host.empty() ||
        !as_uint(e->element[2], port, 65535) || port == 0 ||
        !as_uint(e->element[3], entry.connections, UINT64_MAX) ||
        !as_uint(e->element[4], entry.beat, UINT64_MAX) || !reply_integer(e->element[5], ttl)) {
      spdlog::debug("registry: skipping a malformed entry '{}'", entry.id);
      continue;
    }
    entry.port = static_cast<std::uint16_t>(port);
    entry.ttl_ms = ttl;
    list.live.push_back(std::move(entry));
  }
  const redisReply* dead = reply->element[1];
  for (std::size_t i = 0; i < dead->elements; ++i) {
    std::string id(reply_string(dead->element[i]));
    if (schema::valid_server_id(id)) list.dead.push_back(std::move(id));
  }
  std::sort(list.live.begin(), list.live.end(),
            [](const ServerEntry& a, const ServerEntry& b) { return a.id < b.id; });
  return list;
}

void list_servers(RedisConnection& redis, std::function<void(Result<ServerList>)> done) {
  auto on_reply = [done](const redisReply* reply) { done(parse_server_list(reply)); };
  if (!schema::run_script(redis, schema::list_script(), {}, on_reply)) {
    done(Status(Code::kUnavailable, "Redis is unreachable"));
  }
}

Heartbeat::Heartbeat(asio::io_context& io, RedisConnection& redis, ServerAdvert advert,
                     std::function<std::uint64_t()> connections, RegistryTiming timing,
                     const Clock& clock)
    : io_(io),
      redis_(redis),
      advert_(std::move(advert)),
      connections_(std::move(connections)),
      timing_(timing),
      clock_(clock),
      timer_(io) {}

Heartbeat::~Heartbeat() {
  *alive_ = false;
}

void Heartbeat::start(std::function<void(bool)> on_beat) {
  on_beat_ = std::move(on_beat);
  running_ = true;
  beat();
  schedule();
}

void Heartbeat::beat_now() {
  if (running_) beat();
}

void Heartbeat::schedule() {
  timer_.expires_after(timing_.period);
  timer_.async_wait([this, alive = alive_](const asio::error_code& ec) {
    if (!*alive || ec || !running_) return;
    beat();
    schedule();
  });
}

void Heartbeat::beat() {
  const std::uint64_t connections = connections_ ? connections_() : 0;
  auto on_reply = [this, alive = alive_](const redisReply* reply) {
    if (!*alive || !running_) return;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
      if (reply) spdlog::warn("registry: heartbeat refused: {}", reply_string(reply));
      return;
    }
    long long existed = 0;
    reply_integer(reply->element[0], existed);
    if (on_beat_) on_beat_(existed == 0);
  };
  schema::run_script(
      redis_, schema::heartbeat_script(),
      {advert_.id, advert_.host, std::to_string(advert_.port), std::to_string(connections),
       std::to_string(timing_.ttl.count()), std::to_string(clock_.now_ms())},
      on_reply);
}

void Heartbeat::stop(bool deregister, std::function<void()> done) {
  running_ = false;
  timer_.cancel();
  if (!deregister) {
    if (done) done();
    return;
  }
  auto on_reply = [done](const redisReply*) {
    if (done) done();
  };
  if (!schema::run_script(redis_, schema::deregister_script(), {advert_.id}, on_reply) && done) {
    done();
  }
}

}  // namespace fastchat::cluster
