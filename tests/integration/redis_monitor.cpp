#include "redis_monitor.h"

#include <hiredis/hiredis.h>
#include <sys/socket.h>

#include "cluster/redis_connection.h"
#include "common/hex.h"

namespace fastchat::itest {

std::string unescape_monitor_line(const std::string& line) {
  std::string out;
  bool in_arg = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (!in_arg) {
      if (c == '"') {
        if (!out.empty()) out += ' ';
        in_arg = true;
      }
      continue;
    }
    if (c == '"') {
      in_arg = false;
    } else if (c == '\\' && i + 1 < line.size()) {
      const char e = line[++i];
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'a':
          out += '\a';
          break;
        case 'b':
          out += '\b';
          break;
        case 'x': {
          const auto byte = i + 2 < line.size() ? from_hex(std::string_view(line).substr(i + 1, 2))
                                                : std::nullopt;
          if (byte) {
            out += *byte;
            i += 2;
          } else {
            out += e;
          }
          break;
        }
        default:
          out += e;  // \" and \\ .
      }
    } else {
      out += c;
    }
  }
  return out;
}

Result<std::unique_ptr<RedisMonitor>> RedisMonitor::start(const std::string& url) {
  auto endpoint = cluster::parse_redis_url(url);
  if (!endpoint) return endpoint.status();
  redisContext* c = endpoint->unix_path.empty()
                        ? redisConnect(endpoint->host.c_str(), endpoint->port)
                        : redisConnectUnix(endpoint->unix_path.c_str());
  if (c == nullptr || c->err) {
    if (c) redisFree(c);
    return Status(Code::kUnavailable, "MONITOR: cannot connect to " + url);
  }
  auto* reply = static_cast<redisReply*>(redisCommand(c, "MONITOR"));
  const bool ok = reply && reply->type == REDIS_REPLY_STATUS;
  if (reply) freeReplyObject(reply);
  if (!ok) {
    redisFree(c);
    return Status(Code::kUnavailable, "MONITOR refused by " + url);
  }
  std::unique_ptr<RedisMonitor> monitor(new RedisMonitor(c));
  monitor->thread_ = std::thread([m = monitor.get()] { m->run(); });
  return monitor;
}

RedisMonitor::RedisMonitor(redisContext* context) : context_(context) {}

RedisMonitor::~RedisMonitor() {
  // Unblocks the reader's redisGetReply(); it then ends on the error.
  ::shutdown(context_->fd, SHUT_RDWR);
  if (thread_.joinable()) thread_.join();
  redisFree(context_);
}

void RedisMonitor::run() {
  for (;;) {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) return;
    auto* reply = static_cast<redisReply*>(raw);
    if (reply->type == REDIS_REPLY_STATUS || reply->type == REDIS_REPLY_STRING) {
      std::string line = unescape_monitor_line(std::string(reply->str, reply->len));
      std::lock_guard lock(mutex_);
      traffic_ += line;
      traffic_ += '\n';
      ++commands_;
    }
    freeReplyObject(reply);
  }
}

std::string RedisMonitor::traffic() const {
  std::lock_guard lock(mutex_);
  return traffic_;
}

std::size_t RedisMonitor::commands() const {
  std::lock_guard lock(mutex_);
  return commands_;
}

}  // namespace fastchat::itest
