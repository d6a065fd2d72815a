#include "cluster/redis_connection.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/post.hpp>
#include <cassert>
#include <charconv>
#include <random>

namespace fastchat::cluster {

namespace {

using Clock = std::chrono::steady_clock;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX escapes in the user-info part of a URL (passwords may hold '@' or ':').
bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = hex_value(in[i + 1]);
    const int lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

bool parse_int(std::string_view text, int& out, int lo, int hi) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < lo || value > hi) {
    return false;
  }
  out = value;
  return true;
}

Status bad_url(std::string_view why) {
  return Status(Code::kBadRequest, "bad Redis URL: " + std::string(why));
}

std::chrono::milliseconds with_jitter(std::chrono::milliseconds base) {
  thread_local std::minstd_rand random{std::random_device{}()};
  std::uniform_int_distribution<long> spread(0, std::max<long>(1, base.count() / 4));
  return base + std::chrono::milliseconds(spread(random));
}

}  // namespace

std::string RedisEndpoint::to_string() const {
  // Appended piece by piece: g++ 12 -O3 warns (-Wrestrict) on "literal" + string here.
  std::string out;
  if (unix_path.empty()) {
    out.append("redis://").append(host).append(":").append(std::to_string(port));
    if (db != 0) out.append("/").append(std::to_string(db));
  } else {
    out.append("unix://").append(unix_path);
    if (db != 0) out.append("?db=").append(std::to_string(db));
  }
  return out;
}

Result<RedisEndpoint> parse_redis_url(std::string_view url) {
  RedisEndpoint endpoint;
  if (url.starts_with("unix://")) {
    std::string_view rest = url.substr(7);
    if (const auto q = rest.find('?'); q != std::string_view::npos) {
      const std::string_view query = rest.substr(q + 1);
      rest = rest.substr(0, q);
      if (!query.starts_with("db=") || !parse_int(query.substr(3), endpoint.db, 0, 1 << 20)) {
        return bad_url("unix:// takes only ?db=N");
      }
    }
    if (rest.empty() || rest.front() != '/') return bad_url("unix:// wants an absolute path");
    endpoint.unix_path = std::string(rest);
    return endpoint;
  }
  if (url.starts_with("rediss://")) return bad_url("TLS (rediss://) is not supported");
  if (!url.starts_with("redis://")) return bad_url("expected redis://HOST:PORT or unix://PATH");
  std::string_view rest = url.substr(8);
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    const std::string_view db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db.empty() && !parse_int(db, endpoint.db, 0, 1 << 20)) return bad_url("bad database");
  }
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view info = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const auto colon = info.find(':');
    if (colon == std::string_view::npos) return bad_url("user info must be [USER]:PASSWORD");
    if (!percent_decode(info.substr(0, colon), endpoint.user) ||
        !percent_decode(info.substr(colon + 1), endpoint.password)) {
      return bad_url("bad %-escape in user info");
    }
  }
  std::string_view port;
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return bad_url("unclosed [ in host");
    endpoint.host = std::string(rest.substr(1, close - 1));
    rest = rest.substr(close + 1);
    if (rest.starts_with(':'))
      port = rest.substr(1);
    else if (!rest.empty())
      return bad_url("junk after ]");
  } else {
    const auto colon = rest.find(':');
    endpoint.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port = rest.substr(colon + 1);
  }
  if (endpoint.host.empty()) return bad_url("no host");
  if (!port.empty() && !parse_int(port, endpoint.port, 1, 65535)) return bad_url("bad port");
  return endpoint;
}

void block_sigpipe_on_this_thread() {
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
}

Status ping_redis(const RedisEndpoint& endpoint, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  redisContext* c = endpoint.unix_path.empty()
                        ? redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, tv)
                        : redisConnectUnixWithTimeout(endpoint.unix_path.c_str(), tv);
  if (!c) return Status(Code::kUnavailable, "out of memory connecting to Redis");
  std::unique_ptr<redisContext, void (*)(redisContext*)> guard(c, redisFree);
  if (c->err) {
    return Status(Code::kUnavailable,
                  "cannot connect to Redis at " + endpoint.to_string() + ": " + c->errstr);
  }
  redisSetTimeout(c, tv);
  auto run = [&](std::vector<std::string> args) -> Status {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    auto* reply = static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lengths.data()));
    if (!reply) {
      return Status(Code::kUnavailable, "Redis at " + endpoint.to_string() + ": " + c->errstr);
    }
    std::unique_ptr<redisReply, void (*)(void*)> reply_guard(reply, freeReplyObject);
    if (reply->type == REDIS_REPLY_ERROR) {
      return Status(Code::kUnavailable, "Redis at " + endpoint.to_string() + " refused " +
                                            args.front() + ": " + reply->str);
    }
    return Status::ok();
  };
  if (!endpoint.password.empty()) {
    Status s = endpoint.user.empty() ? run({"AUTH", endpoint.password})
                                     : run({"AUTH", endpoint.user, endpoint.password});
    if (!s) return s;
  }
  if (endpoint.db != 0) {
    if (Status s = run({"SELECT", std::to_string(endpoint.db)}); !s) return s;
  }
  return run({"PING"});
}

bool is_error(const redisReply* reply) {
  return reply == nullptr || reply->type == REDIS_REPLY_ERROR;
}

std::string_view reply_string(const redisReply* reply) {
  if (!reply) return {};
  switch (reply->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      return {reply->str, reply->len};
    default:
      return {};
  }
}

bool reply_integer(const redisReply* reply, long long& out) {
  if (!reply) return false;
  if (reply->type == REDIS_REPLY_INTEGER) {
    out = reply->integer;
    return true;
  }
  if (reply->type == REDIS_REPLY_STRING) {
    const auto [end, ec] = std::from_chars(reply->str, reply->str + reply->len, out);
    return ec == std::errc() && end == reply->str + reply->len;
  }
  return false;
}

// The hiredis event hooks for one context: its socket as an asio descriptor, and
// which waits hiredis asked for. Waits hold it by shared_ptr; `alive` turns false when
// hiredis frees the context, after which nothing touches `ac` or `owner`.
struct RedisConnection::Watcher : std::enable_shared_from_this<Watcher> {
  Watcher(asio::io_context& io, RedisConnection* o, redisAsyncContext* c)
      : fd(io), owner(o), ac(c) {}

  asio::posix::stream_descriptor fd;
  RedisConnection* owner;
  redisAsyncContext* ac;
  bool alive = true;
  bool want_read = false;
  bool want_write = false;
  bool read_pending = false;
  bool write_pending = false;

  void arm(bool write) {
    bool& want = write ? want_write : want_read;
    bool& pending = write ? write_pending : read_pending;
    if (!alive || !want || pending) return;
    pending = true;
    const auto type =
        write ? asio::posix::descriptor_base::wait_write : asio::posix::descriptor_base::wait_read;
    fd.async_wait(type, [self = shared_from_this(), write](const asio::error_code& ec) {
      (write ? self->write_pending : self->read_pending) = false;
      if (!self->alive || ec == asio::error::operation_aborted) return;
      if (!(write ? self->want_write : self->want_read)) return;
      RedisConnection* owner = self->owner;
      ++owner->in_hiredis_;
      if (write) {
        redisAsyncHandleWrite(self->ac);  // may free the context (alive turns false)
      } else {
        redisAsyncHandleRead(self->ac);
      }
      --owner->in_hiredis_;
      self->arm(write);
    });
  }

  static Watcher& of(void* data) { return *static_cast<Watcher*>(data); }
  static void add_read(void* data) {
    of(data).want_read = true;
    of(data).arm(false);
  }
  static void del_read(void* data) { of(data).want_read = false; }
  static void add_write(void* data) {
    of(data).want_write = true;
    of(data).arm(true);
  }
  static void del_write(void* data) { of(data).want_write = false; }
  static void cleanup(void* data) {
    Watcher& w = of(data);
    if (!w.alive) return;
    w.alive = false;
    w.want_read = w.want_write = false;
    (void)w.fd.release();        // hiredis closes the socket; pending waits complete as aborted
    w.owner->on_context_gone();  // may drop the owner's reference to `w`: last use of it
  }
};

struct RedisConnection::Pending {
  RedisConnection* connection;
  ReplyHandler handler;
};

RedisConnection::RedisConnection(asio::io_context& io, RedisEndpoint endpoint, std::string name,
                                 RedisOptions options)
    : io_(io),
      endpoint_(std::move(endpoint)),
      name_(std::move(name)),
      options_(options),
      retry_timer_(io),
      watchdog_(io),
      backoff_(options.min_backoff),
      alive_(std::make_shared<bool>(true)) {}

RedisConnection::~RedisConnection() {
  assert(in_hiredis_ == 0 && "a RedisConnection must not be destroyed from its own callback");
  stop();
  *alive_ = false;
}

void RedisConnection::start(std::function<void()> on_up, std::function<void()> on_down) {
  if (state_ != State::kIdle) return;
  on_up_ = std::move(on_up);
  on_down_ = std::move(on_down);
  connect();
  arm_watchdog();
}

void RedisConnection::stop() {
  if (state_ == State::kStopped) return;
  state_ = State::kStopped;
  retry_timer_.cancel();
  watchdog_.cancel();
  if (in_hiredis_ > 0) {
    // Inside a hiredis callback the context cannot be freed under its feet: do it next.
    asio::post(io_, [this, alive = alive_] {
      if (*alive) free_context();
    });
    return;
  }
  free_context();
}

void RedisConnection::free_context() {
  if (!context_ || freeing_) return;
  freeing_ = true;
  redisAsyncFree(context_);  // waiting handlers get null, then cleanup → on_context_gone
  freeing_ = false;
}

void RedisConnection::reset() {
  if (!context_) return;
  asio::post(io_, [this, alive = alive_, generation = generation_] {
    if (!*alive || generation != generation_ || !context_) return;
    spdlog::warn("redis {}: dropping the connection to {}", name_, endpoint_.to_string());
    if (state_ != State::kStopped) state_ = State::kWaiting;
    free_context();
  });
}

void RedisConnection::connect() {
  if (state_ == State::kStopped) return;
  ++generation_;
  redisAsyncContext* ac = endpoint_.unix_path.empty()
                              ? redisAsyncConnect(endpoint_.host.c_str(), endpoint_.port)
                              : redisAsyncConnectUnix(endpoint_.unix_path.c_str());
  if (!ac || ac->err) {
    spdlog::debug("redis {}: cannot connect to {}: {}", name_, endpoint_.to_string(),
                  ac ? ac->errstr : "out of memory");
    if (ac) redisAsyncFree(ac);
    state_ = State::kWaiting;
    schedule_reconnect();
    return;
  }
  auto watcher = std::make_shared<Watcher>(io_, this, ac);
  asio::error_code ec;
  watcher->fd.assign(ac->c.fd, ec);
  if (ec) {
    spdlog::warn("redis {}: cannot watch the socket: {}", name_, ec.message());
    redisAsyncFree(ac);
    state_ = State::kWaiting;
    schedule_reconnect();
    return;
  }
  ac->data = this;
  ac->ev.data = watcher.get();
  ac->ev.addRead = &Watcher::add_read;
  ac->ev.delRead = &Watcher::del_read;
  ac->ev.addWrite = &Watcher::add_write;
  ac->ev.delWrite = &Watcher::del_write;
  ac->ev.cleanup = &Watcher::cleanup;
  redisAsyncSetConnectCallback(ac, &RedisConnection::on_connect);
  context_ = ac;
  watcher_ = watcher;
  state_ = State::kConnecting;
  connect_started_ = Clock::now();
  was_up_ = false;

  // Queued ahead of everything else; hiredis writes them once the socket connects.
  auto check = [this](std::string_view what) {
    return [this, what](const redisReply* reply) {
      if (reply && reply->type == REDIS_REPLY_ERROR) {
        spdlog::error("redis {}: {} refused: {}", name_, what, reply_string(reply));
        reset();
      }
    };
  };
  if (!endpoint_.password.empty()) {
    if (endpoint_.user.empty()) {
      const char* argv[] = {"AUTH", endpoint_.password.data()};
      const std::size_t lengths[] = {4, endpoint_.password.size()};
      send(2, argv, lengths, check("AUTH"));
    } else {
      const char* argv[] = {"AUTH", endpoint_.user.data(), endpoint_.password.data()};
      const std::size_t lengths[] = {4, endpoint_.user.size(), endpoint_.password.size()};
      send(3, argv, lengths, check("AUTH"));
    }
  }
  if (endpoint_.db != 0) {
    const std::string db = std::to_string(endpoint_.db);
    const char* argv[] = {"SELECT", db.data()};
    const std::size_t lengths[] = {6, db.size()};
    send(2, argv, lengths, check("SELECT"));
  }
  for (auto& [channel, subscription] : subscriptions_)
    send_subscribe(channel, *subscription);
  Watcher::add_write(watcher.get());  // hiredis completes the connect on writability
}

void RedisConnection::schedule_reconnect() {
  if (state_ == State::kStopped) return;
  retry_timer_.expires_after(with_jitter(backoff_));
  backoff_ = std::min(backoff_ * 2, options_.max_backoff);
  retry_timer_.async_wait([this, alive = alive_](const asio::error_code& ec) {
    if (!*alive || ec) return;
    connect();
  });
}

void RedisConnection::on_connect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<RedisConnection*>(ac->data);
  if (status != REDIS_OK) {
    spdlog::debug("redis {}: cannot connect to {}: {}", self->name_, self->endpoint_.to_string(),
                  ac->errstr ? ac->errstr : "error");
    return;  // hiredis frees the context next: cleanup → on_context_gone
  }
  if (self->state_ != State::kConnecting) return;
  if (self->ever_up_) {
    spdlog::info("redis {}: reconnected to {}", self->name_, self->endpoint_.to_string());
  } else {
    spdlog::debug("redis {}: connected to {}", self->name_, self->endpoint_.to_string());
  }
  self->state_ = State::kUp;
  self->was_up_ = true;
  self->ever_up_ = true;
  self->backoff_ = self->options_.min_backoff;
  if (self->on_up_) self->on_up_();
}

void RedisConnection::on_context_gone() {
  context_ = nullptr;
  watcher_.reset();
  pending_ = 0;
  const bool was_up = was_up_;
  was_up_ = false;
  if (state_ == State::kStopped) return;
  state_ = State::kWaiting;
  if (was_up) {
    spdlog::warn("redis {}: lost the connection to {}", name_, endpoint_.to_string());
    if (on_down_) {
      asio::post(io_, [this, alive = alive_] {
        if (*alive && on_down_) on_down_();
      });
    }
  }
  schedule_reconnect();
}

void RedisConnection::arm_watchdog() {
  const auto period = std::clamp(std::min(options_.connect_timeout, options_.reply_timeout) / 4,
                                 std::chrono::milliseconds(20), std::chrono::milliseconds(1000));
  watchdog_.expires_after(period);
  watchdog_.async_wait([this, alive = alive_](const asio::error_code& ec) {
    if (!*alive || ec || state_ == State::kStopped) return;
    const auto now = Clock::now();
    if (state_ == State::kConnecting && now - connect_started_ > options_.connect_timeout) {
      spdlog::warn("redis {}: connecting to {} timed out", name_, endpoint_.to_string());
      reset();
    } else if (state_ == State::kUp && pending_ > 0 &&
               now - last_progress_ > options_.reply_timeout) {
      spdlog::warn("redis {}: no reply for {} ms with {} commands waiting", name_,
                   options_.reply_timeout.count(), pending_);
      reset();
    }
    arm_watchdog();
  });
}

bool RedisConnection::send(int argc, const char** argv, const std::size_t* lengths,
                           ReplyHandler handler) {
  if (!context_) return false;
  auto pending = std::make_unique<Pending>(Pending{this, std::move(handler)});
  if (redisAsyncCommandArgv(context_, &RedisConnection::on_reply, pending.get(), argc, argv,
                            lengths) != REDIS_OK) {
    return false;
  }
  pending.release();  // on_reply owns it now
  if (pending_ == 0) last_progress_ = Clock::now();
  ++pending_;
  return true;
}

bool RedisConnection::command(std::initializer_list<std::string_view> args, ReplyHandler handler) {
  if (state_ != State::kUp || pending_ >= options_.max_pending) return false;
  constexpr std::size_t kMaxArgs = 16;
  assert(args.size() <= kMaxArgs);
  const char* argv[kMaxArgs];
  std::size_t lengths[kMaxArgs];
  std::size_t n = 0;
  for (const auto& a : args) {
    argv[n] = a.data();
    lengths[n++] = a.size();
  }
  return send(static_cast<int>(n), argv, lengths, std::move(handler));
}

bool RedisConnection::command(const std::vector<std::string_view>& args, ReplyHandler handler) {
  if (state_ != State::kUp || pending_ >= options_.max_pending) return false;
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  return send(static_cast<int>(args.size()), argv.data(), lengths.data(), std::move(handler));
}

void RedisConnection::on_reply(redisAsyncContext* ac, void* reply, void* privdata) {
  (void)ac;
  std::unique_ptr<Pending> pending(static_cast<Pending*>(privdata));
  RedisConnection* self = pending->connection;
  if (self->pending_ > 0) --self->pending_;
  self->last_progress_ = Clock::now();
  if (pending->handler) pending->handler(static_cast<const redisReply*>(reply));
}

void RedisConnection::subscribe(std::string channel, MessageHandler on_message,
                                std::function<void()> on_subscribed) {
  auto subscription =
      std::make_unique<Subscription>(Subscription{std::move(on_message), std::move(on_subscribed)});
  auto& slot = subscriptions_[channel];
  slot = std::move(subscription);
  if (context_) send_subscribe(channel, *slot);
}

bool RedisConnection::send_subscribe(const std::string& channel, Subscription& subscription) {
  const char* argv[] = {"SUBSCRIBE", channel.data()};
  const std::size_t lengths[] = {9, channel.size()};
  return redisAsyncCommandArgv(context_, &RedisConnection::on_subscription_reply, &subscription, 2,
                               argv, lengths) == REDIS_OK;
}

void RedisConnection::on_subscription_reply(redisAsyncContext* ac, void* reply, void* privdata) {
  (void)ac;
  const auto* r = static_cast<const redisReply*>(reply);
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 3) return;  // null: going away
  const std::string_view kind = reply_string(r->element[0]);
  auto& subscription = *static_cast<Subscription*>(privdata);
  if (kind == "message") {
    if (subscription.on_message) subscription.on_message(reply_string(r->element[2]));
  } else if (kind == "subscribe") {
    if (subscription.on_subscribed) subscription.on_subscribed();
  }
}

}  // namespace fastchat::cluster
