#include "ops/admin_server.h"

#include <CivetServer.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <atomic>
#include <thread>

namespace fastchat::ops {

namespace {

void respond(mg_connection* conn, int code, const char* reason, const char* content_type,
             const std::string& body) {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
            code, reason, content_type, body.size());
  mg_write(conn, body.data(), body.size());
}

}  // namespace

class AdminServer::Handler : public CivetHandler {
 public:
  enum class Kind { kMetrics, kHealth };
  Handler(AdminServer& owner, Kind kind) : owner_(owner), kind_(kind) {}

  bool handleGet(CivetServer*, mg_connection* conn) override {
    if (kind_ == Kind::kMetrics) {
      std::vector<prometheus::MetricFamily> families;
      for (const auto& c : owner_.collectables_) {
        auto collected = c->Collect();
        families.insert(families.end(), std::make_move_iterator(collected.begin()),
                        std::make_move_iterator(collected.end()));
      }
      respond(conn, 200, "OK", "text/plain; version=0.0.4; charset=utf-8",
              prometheus::TextSerializer().Serialize(families));
      return true;
    }
    const Status health = owner_.health_ ? owner_.health_() : Status::ok();
    if (health) {
      respond(conn, 200, "OK", "text/plain; charset=utf-8", "ok\n");
    } else {
      respond(conn, 503, "Service Unavailable", "text/plain; charset=utf-8",
              health.message() + "\n");
    }
    return true;
  }

 private:
  AdminServer& owner_;
  Kind kind_;
};

AdminServer::AdminServer(HealthCheck health) : health_(std::move(health)) {}

AdminServer::~AdminServer() {
  stop();
}

void AdminServer::add(std::shared_ptr<prometheus::Collectable> collectable) {
  collectables_.push_back(std::move(collectable));
}

Status AdminServer::start(const std::string& listen) {
  if (server_) return Status::ok();
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    return Status(Code::kBadRequest, "admin address must be HOST:PORT, got '" + listen + "'");
  }
  // civetweb wants "HOST:PORT", with IPv6 hosts in brackets (as given).
  const std::vector<std::string> options = {
      "listening_ports",    listen, "num_threads",       "2",
      "request_timeout_ms", "5000", "enable_keep_alive", "no"};
  metrics_ = std::make_unique<Handler>(*this, Handler::Kind::kMetrics);
  healthz_ = std::make_unique<Handler>(*this, Handler::Kind::kHealth);
  try {
    server_ = std::make_unique<CivetServer>(options);
  } catch (const std::exception& e) {
    return Status(Code::kIo, "cannot serve the admin endpoint on " + listen + ": " + e.what());
  }
  server_->addHandler("/metrics", *metrics_);
  server_->addHandler("/healthz", *healthz_);
  host_ = listen.substr(0, colon);
  if (host_.size() >= 2 && host_.front() == '[') host_ = host_.substr(1, host_.size() - 2);
  const auto ports = server_->getListeningPorts();
  port_ = ports.empty() ? 0 : static_cast<std::uint16_t>(ports.front());
  spdlog::info("admin endpoint (/metrics, /healthz) on {}:{}", listen.substr(0, colon), port_);
  return Status::ok();
}

void AdminServer::stop() {
  if (!server_) return;
  // civetweb's accept loop notices the stop only when its poll() returns, which
  // without traffic takes up to 2 s: knock on the door until it has gone.
  std::atomic<bool> closed{false};
  std::thread knocker([this, &closed] {
    asio::io_context io;
    asio::error_code ec;
    auto address = asio::ip::make_address(host_, ec);
    if (ec || address.is_unspecified()) {
      address = address.is_v6() ? asio::ip::address(asio::ip::address_v6::loopback())
                                : asio::ip::address(asio::ip::address_v4::loopback());
    }
    while (!closed.load()) {
      asio::ip::tcp::socket socket(io);
      socket.connect({address, port_}, ec);
      socket.close(ec);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  server_->close();
  closed = true;
  knocker.join();
  server_.reset();
}

}  // namespace fastchat::ops
