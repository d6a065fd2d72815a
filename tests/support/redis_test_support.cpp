#include "support/redis_test_support.h"

#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "cluster/redis_connection.h"

namespace fastchat::cluster::testing {

std::optional<std::string> shared_redis_url() {
  const char* url = std::getenv("FASTCHAT_TEST_REDIS_URL");
  if (!url || !*url) return std::nullopt;
  return std::string(url);
}

std::string unique_name(const std::string& base) {
  static std::atomic<int> counter{0};
  static const unsigned salt = std::random_device{}() % 100000;
  return base + "-" + std::to_string(::getpid()) + "-" + std::to_string(salt) + "-" +
         std::to_string(counter++);
}

UserId unique_user() {
  static std::atomic<UserId> next{[] {
    std::mt19937_64 random(std::random_device{}());
    return static_cast<UserId>(random() % (1ULL << 40)) + (1LL << 41);
  }()};
  return next++;
}

PrivateRedis::PrivateRedis() {
  char pattern[] = "/tmp/fastchat-redis-XXXXXX";
  if (char* made = ::mkdtemp(pattern)) dir_ = made;
  socket_ = dir_ + "/redis.sock";
}

PrivateRedis::~PrivateRedis() {
  stop();
  std::error_code ignored;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
}

bool PrivateRedis::available() {
  return std::system("command -v redis-server >/dev/null 2>&1") == 0;
}

bool PrivateRedis::start() {
  if (dir_.empty()) {
    error_ = "cannot create a temporary directory";
    return false;
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    error_ = "fork failed";
    return false;
  }
  if (pid == 0) {
    const std::string log = dir_ + "/redis.log";
    ::execlp("redis-server", "redis-server", "--port", "0", "--unixsocket", socket_.c_str(),
             "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
             "--enable-debug-command", "yes", "--dir", dir_.c_str(), "--logfile", log.c_str(),
             static_cast<char*>(nullptr));
    ::_exit(127);
  }
  pid_ = pid;
  auto endpoint = parse_redis_url(url());
  for (int i = 0; i < 200; ++i) {
    if (ping_redis(*endpoint, std::chrono::milliseconds(200))) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      error_ = "redis-server exited at start";
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  error_ = "redis-server did not answer";
  stop(true);
  return false;
}

void PrivateRedis::stop(bool crash) {
  if (pid_ <= 0) return;
  ::kill(pid_, crash ? SIGKILL : SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  std::error_code ignored;
  std::filesystem::remove(socket_, ignored);
}

IoThread::IoThread() : work_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}

IoThread::~IoThread() {
  stop();
}

void IoThread::stop() {
  if (!thread_.joinable()) return;
  work_.reset();
  io_.stop();
  thread_.join();
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

std::string redis_sync(const std::string& url, const std::vector<std::string>& args) {
  auto endpoint = parse_redis_url(url);
  if (!endpoint) return "ERR bad url";
  timeval tv{2, 0};
  redisContext* c = endpoint->unix_path.empty()
                        ? redisConnectWithTimeout(endpoint->host.c_str(), endpoint->port, tv)
                        : redisConnectUnixWithTimeout(endpoint->unix_path.c_str(), tv);
  if (!c || c->err) {
    if (c) redisFree(c);
    return "ERR connect";
  }
  std::string out;
  auto run = [&](const std::vector<std::string>& a) -> redisReply* {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& s : a) {
      argv.push_back(s.data());
      lengths.push_back(s.size());
    }
    return static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(a.size()), argv.data(), lengths.data()));
  };
  if (!endpoint->password.empty()) {
    auto* r = endpoint->user.empty() ? run({"AUTH", endpoint->password})
                                     : run({"AUTH", endpoint->user, endpoint->password});
    if (r) freeReplyObject(r);
  }
  if (endpoint->db != 0) {
    if (auto* r = run({"SELECT", std::to_string(endpoint->db)})) freeReplyObject(r);
  }
  redisReply* reply = run(args);
  if (!reply) {
    out = "ERR io";
  } else if (reply->type == REDIS_REPLY_INTEGER) {
    out = std::to_string(reply->integer);
  } else if (reply->type == REDIS_REPLY_NIL) {
    out = "NIL";
  } else if (reply->type == REDIS_REPLY_ERROR) {
    out = "ERR " + std::string(reply->str, reply->len);
  } else if (reply->type == REDIS_REPLY_ARRAY) {
    out = std::to_string(reply->elements);
  } else {
    out = std::string(reply->str, reply->len);
  }
  if (reply) freeReplyObject(reply);
  redisFree(c);
  return out;
}

}  // namespace fastchat::cluster::testing
