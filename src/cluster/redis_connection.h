// RedisConnection: one hiredis async connection driven by an asio::io_context (the
// socket is watched with asio::posix::stream_descriptor waits, so no thread blocks on
// Redis), with reconnect and exponential backoff, a connect timeout and a reply
// timeout (a Redis that stops answering is treated as gone).
//
// Thread safety: none. Construct, call and destroy it on the thread that runs its
// io_context; every callback runs there too.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"

struct redisAsyncContext;
struct redisReply;

namespace fastchat::cluster {

struct RedisEndpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string unix_path;  // set: connect to this socket instead of host:port
  std::string user;       // Redis 6 ACL user; empty: the default user
  std::string password;
  int db = 0;
  // For logs: never includes the password.
  std::string to_string() const;
};

// redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] or unix://PATH[?db=N]. kBadRequest when
// the URL cannot be used.
Result<RedisEndpoint> parse_redis_url(std::string_view url);

// A blocking AUTH/SELECT/PING round trip with a timeout: for start-up checks and
// tests, never on an event loop.
Status ping_redis(const RedisEndpoint& endpoint, std::chrono::milliseconds timeout);

// hiredis writes with write(2): when Redis goes away mid-write the kernel raises
// SIGPIPE, whose default action kills the whole process (a server embedded in another
// program, or one whose main() did not ignore it). Blocks SIGPIPE for the calling
// thread, so such a write just fails with EPIPE; call it first on every thread that
// runs RedisConnections.
void block_sigpipe_on_this_thread();

struct RedisOptions {
  std::chrono::milliseconds connect_timeout{2000};
  // No reply for this long while commands are waiting: the connection is dropped.
  std::chrono::milliseconds reply_timeout{5000};
  std::chrono::milliseconds min_backoff{50};
  std::chrono::milliseconds max_backoff{2000};
  // Commands written but not yet answered; beyond it command() refuses (bounded
  // memory when Redis is slower than we are).
  std::size_t max_pending = 200'000;
};

class RedisConnection {
 public:
  // `reply` is null when the connection dropped before the reply came.
  using ReplyHandler = std::function<void(const redisReply* reply)>;
  using MessageHandler = std::function<void(std::string_view payload)>;

  RedisConnection(asio::io_context& io, RedisEndpoint endpoint, std::string name,
                  RedisOptions options = {});
  // Closes; handlers of commands still waiting run with a null reply.
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Connects now and again whenever the connection is lost. `on_up` runs each time
  // the connection is established (after AUTH/SELECT and re-subscribing, which are
  // queued first), `on_down` each time an established one is lost.
  void start(std::function<void()> on_up = {}, std::function<void()> on_down = {});
  // Closes for good: handlers of waiting commands run with a null reply, here.
  void stop();

  bool connected() const { return state_ == State::kUp; }
  std::size_t pending() const { return pending_; }
  const std::string& name() const { return name_; }

  // Queues a command (binary-safe arguments). False, and `handler` is not called,
  // when the connection is not up or too many commands are waiting.
  bool command(std::initializer_list<std::string_view> args, ReplyHandler handler = {});
  bool command(const std::vector<std::string_view>& args, ReplyHandler handler = {});

  // SUBSCRIBE `channel` now (if up) and after every reconnect. `on_message` gets each
  // message's payload; `on_subscribed` runs each time Redis confirms the subscription.
  // A connection with subscriptions accepts no other commands (Redis' rule).
  void subscribe(std::string channel, MessageHandler on_message,
                 std::function<void()> on_subscribed = {});

  // Drops the connection now (it reconnects after the backoff): for callers that
  // noticed it is useless, e.g. subscriptions that stopped delivering.
  void reset();

 private:
  enum class State { kIdle, kConnecting, kUp, kWaiting, kStopped };
  struct Watcher;
  struct Pending;
  struct Subscription {
    MessageHandler on_message;
    std::function<void()> on_subscribed;
  };

  void connect();
  void free_context();  // never from inside a hiredis callback
  void schedule_reconnect();
  void on_context_gone();  // hiredis freed the context (error, peer closed, or ours)
  void arm_watchdog();
  bool send_subscribe(const std::string& channel, Subscription& subscription);
  bool send(int argc, const char** argv, const std::size_t* lengths, ReplyHandler handler);

  static void on_connect(const redisAsyncContext* ac, int status);
  static void on_reply(redisAsyncContext* ac, void* reply, void* privdata);
  static void on_subscription_reply(redisAsyncContext* ac, void* reply, void* privdata);

  asio::io_context& io_;
  RedisEndpoint endpoint_;
  std::string name_;
  RedisOptions options_;
  std::function<void()> on_up_;
  std::function<void()> on_down_;
  State state_ = State::kIdle;
  redisAsyncContext* context_ = nullptr;  // owned by hiredis; null when none
  std::shared_ptr<Watcher> watcher_;
  asio::steady_timer retry_timer_;
  asio::steady_timer watchdog_;
  std::chrono::milliseconds backoff_;
  std::size_t pending_ = 0;
  std::chrono::steady_clock::time_point last_progress_;
  std::chrono::steady_clock::time_point connect_started_;
  std::uint64_t generation_ = 0;  // one per context, so a posted reset hits the right one
  int in_hiredis_ = 0;            // depth of redisAsyncHandleRead/Write on the stack
  bool freeing_ = false;
  bool was_up_ = false;  // this context reached kUp (on_down is due when it goes)
  bool ever_up_ = false;
  std::unordered_map<std::string, std::unique_ptr<Subscription>> subscriptions_;
  std::shared_ptr<bool> alive_;  // false once destroyed: guards posted work
};

// Reply helpers (null-safe).
bool is_error(const redisReply* reply);
std::string_view reply_string(const redisReply* reply);  // string, status or error text
bool reply_integer(const redisReply* reply, long long& out);

}  // namespace fastchat::cluster
