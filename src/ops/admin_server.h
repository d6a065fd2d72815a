// AdminServer: the operations endpoint of a fastchat process, on its own port and
// threads (off the event loops): GET /metrics answers Prometheus text from the
// registered prometheus-cpp collectables; GET /healthz answers 200 "ok" or 503 with
// the reason the health check gives. HTTP comes from civetweb (prometheus-cpp's own
// HTTP server), used directly because prometheus::Exposer cannot serve /healthz.
//
// Thread safety: add() before start(); start()/stop() from one controlling thread.
// Scrapes run on civetweb's threads: collectables and the health check must be
// thread-safe.
#pragma once

#include <prometheus/collectable.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

class CivetServer;

namespace fastchat::ops {

class AdminServer {
 public:
  using HealthCheck = std::function<Status()>;

  explicit AdminServer(HealthCheck health = {});
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  void add(std::shared_ptr<prometheus::Collectable> collectable);

  // Listens on HOST:PORT (port 0 picks a free one; [v6]:PORT for IPv6). kBadRequest,
  // kIo when it cannot listen.
  Status start(const std::string& listen);
  void stop();
  std::uint16_t port() const { return port_; }

 private:
  class Handler;

  HealthCheck health_;
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
  std::unique_ptr<Handler> metrics_;
  std::unique_ptr<Handler> healthz_;
  std::unique_ptr<CivetServer> server_;
  std::string host_;
  std::uint16_t port_ = 0;
};

}  // namespace fastchat::ops
