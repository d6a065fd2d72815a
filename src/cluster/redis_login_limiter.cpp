#include "cluster/redis_login_limiter.h"

#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <array>
#include <asio/post.hpp>
#include <future>

#include "cluster/redis_schema.h"

namespace fastchat::cluster {

namespace {

// An array of N counters (MGET: missing, expired ones count 0).
template <std::size_t N>
bool parse_counts(const redisReply* reply, std::array<long long, N>& out) {
  if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != N) return false;
  for (std::size_t i = 0; i < N; ++i) {
    const redisReply* element = reply->element[i];
    if (element && element->type == REDIS_REPLY_NIL) {
      out[i] = 0;
    } else if (!reply_integer(element, out[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<RedisLoginLimiter>> RedisLoginLimiter::create(
    RedisLoginLimiterOptions options, std::unique_ptr<LoginLimiter> fallback) {
  if (!fallback) return Status(Code::kBadRequest, "the login limiter needs a local fallback");
  auto endpoint = parse_redis_url(options.redis_url);
  if (!endpoint) return endpoint.status();
  std::unique_ptr<RedisLoginLimiter> limiter(
      new RedisLoginLimiter(std::move(options), std::move(*endpoint), std::move(fallback)));
  RedisLoginLimiter* self = limiter.get();

  auto first_up = std::make_shared<std::promise<void>>();
  auto up = first_up->get_future();
  asio::post(self->io_, [self, first_up] {
    self->redis_ = std::make_unique<RedisConnection>(self->io_, self->endpoint_, "login-limiter",
                                                     self->options_.redis);
    self->redis_->start(
        [self, first_up, fired = false]() mutable {
          self->on_up();
          if (!fired) first_up->set_value();
          fired = true;
        },
        [self] { self->on_down(); });
  });
  self->running_ = true;
  self->thread_ = std::thread([self] {
    block_sigpipe_on_this_thread();
    self->io_.run();
  });
  if (up.wait_for(self->options_.startup_wait) != std::future_status::ready) {
    asio::post(self->io_, [self] {
      if (!self->usable()) self->redis_unreachable();
    });
  }
  return limiter;
}

RedisLoginLimiter::RedisLoginLimiter(RedisLoginLimiterOptions options, RedisEndpoint endpoint,
                                     std::unique_ptr<LoginLimiter> fallback)
    : options_(std::move(options)),
      endpoint_(std::move(endpoint)),
      fallback_(std::move(fallback)),
      work_(asio::make_work_guard(io_)) {}

RedisLoginLimiter::~RedisLoginLimiter() {
  stop();
}

template <typename F>
bool RedisLoginLimiter::post(F task) {
  std::lock_guard lock(post_mutex_);
  if (!running_) return false;
  asio::post(io_, std::move(task));
  return true;
}

void RedisLoginLimiter::stop() {
  {
    std::lock_guard lock(post_mutex_);
    if (!running_) return;
    running_ = false;
    // Everything posted before runs first; its commands complete on the local counts.
    asio::post(io_, [this] {
      if (redis_) redis_->stop();
      redis_.reset();
      connected_ = false;
      work_.reset();
    });
  }
  thread_.join();
  fallback_->stop();
}

RedisLoginLimiterStats RedisLoginLimiter::stats() const {
  return {.connected = connected_.load(),
          .local_decisions = local_decisions_.load(),
          .unshared_failures = unshared_failures_.load()};
}

void RedisLoginLimiter::allowed(std::string_view username, std::string_view address,
                                std::function<void(bool)> done) {
  struct Check {
    std::string username;
    std::string address;
    std::function<void(bool)> done;
  };
  auto check =
      std::make_shared<Check>(Check{std::string(username), std::string(address), std::move(done)});
  // Redis' counts are under the limit, or unknown: the local counts decide.
  auto local = [this, check] {
    fallback_->allowed(check->username, check->address, std::move(check->done));
  };
  auto unreachable = [this, local] {
    local_decisions_.fetch_add(1, std::memory_order_relaxed);
    redis_unreachable();
    local();
  };
  const bool posted = post([this, check, local, unreachable] {
    if (!usable()) return unreachable();
    auto on_reply = [this, check, local, unreachable](const redisReply* reply) {
      std::array<long long, 3> counts{};  // pair, account, address
      if (!parse_counts(reply, counts)) return unreachable();
      redis_reachable();
      const auto& limits = options_.limits;
      if (counts[0] >= limits.failures_per_account_address ||
          counts[1] >= limits.failures_per_account || counts[2] >= limits.failures_per_address) {
        return check->done(false);
      }
      local();
    };
    if (!redis_->command(
            {"MGET", schema::login_pair_key(check->username, check->address),
             schema::login_account_key(check->username), schema::login_address_key(check->address)},
            std::move(on_reply))) {
      unreachable();
    }
  });
  if (!posted) {
    local_decisions_.fetch_add(1, std::memory_order_relaxed);
    local();
  }
}

void RedisLoginLimiter::record_failure(std::string_view username, std::string_view address,
                                       std::function<void()> done) {
  // Always counted locally too: the fallback has the counts when Redis goes away.
  fallback_->record_failure(username, address, [] {});
  auto shared_done = std::make_shared<std::function<void()>>(std::move(done));
  auto unshared = [this, shared_done] {
    unshared_failures_.fetch_add(1, std::memory_order_relaxed);
    redis_unreachable();
    (*shared_done)();
  };
  const bool posted = post([this, unshared, shared_done, account = std::string(username),
                            address = std::string(address)] {
    if (!usable()) return unshared();
    auto on_reply = [this, unshared, shared_done](const redisReply* reply) {
      if (is_error(reply) || reply->type != REDIS_REPLY_ARRAY) return unshared();
      redis_reachable();
      (*shared_done)();
    };
    std::vector<std::string> args{
        schema::login_pair_key(account, address), schema::login_account_key(account),
        schema::login_address_key(address), std::to_string(options_.limits.window_ms)};
    if (!schema::run_script(*redis_, schema::count_in_window_script(), std::move(args),
                            std::move(on_reply))) {
      unshared();
    }
  });
  if (!posted) {
    unshared_failures_.fetch_add(1, std::memory_order_relaxed);
    (*shared_done)();
  }
}

void RedisLoginLimiter::record_success(std::string_view username, std::string_view address) {
  fallback_->record_success(username, address);
  post([this, key = schema::login_pair_key(username, address)] {
    if (usable()) redis_->command({"DEL", key});
  });
}

void RedisLoginLimiter::register_allowed(std::string_view address, std::function<void(bool)> done) {
  // Counted locally as well, so the local counts can decide while Redis is away (the
  // fallback is in memory: it answers inline).
  bool local_answer = true;
  fallback_->register_allowed(address, [&local_answer](bool ok) { local_answer = ok; });
  auto shared_done = std::make_shared<std::function<void(bool)>>(std::move(done));
  auto local = [this, shared_done, local_answer] {
    local_decisions_.fetch_add(1, std::memory_order_relaxed);
    redis_unreachable();
    (*shared_done)(local_answer);
  };
  const bool posted = post([this, local, shared_done, key = schema::register_address_key(address)] {
    if (!usable()) return local();
    auto on_reply = [this, local, shared_done](const redisReply* reply) {
      std::array<long long, 1> count{};
      if (!parse_counts(reply, count)) return local();
      redis_reachable();
      (*shared_done)(count[0] <= options_.limits.registrations_per_address);
    };
    if (!schema::run_script(*redis_, schema::count_in_window_script(),
                            {key, std::to_string(options_.limits.window_ms)},
                            std::move(on_reply))) {
      local();
    }
  });
  if (!posted) local();
}

// --- limiter thread

bool RedisLoginLimiter::usable() const {
  return redis_ && redis_->connected();
}

void RedisLoginLimiter::on_up() {
  connected_ = true;
  const auto& script = schema::count_in_window_script();
  redis_->command({"SCRIPT", "LOAD", script.source});
  redis_reachable();
}

void RedisLoginLimiter::on_down() {
  connected_ = false;
  redis_unreachable();
}

void RedisLoginLimiter::redis_unreachable() {
  if (degraded_) return;
  degraded_ = true;
  spdlog::warn(
      "login limiter: Redis at {} unreachable; failed logins are limited on this server's own "
      "counts until it is back",
      endpoint_.to_string());
}

void RedisLoginLimiter::redis_reachable() {
  if (!degraded_) return;
  degraded_ = false;
  spdlog::info("login limiter: Redis is back; failed logins are counted cluster-wide again");
}

}  // namespace fastchat::cluster
