#include "wire_tap.h"

#include <array>
#include <asio/connect.hpp>
#include <asio/post.hpp>
#include <asio/write.hpp>
#include <future>

namespace fastchat::itest {

struct WireTap::Link {
  explicit Link(asio::io_context& io) : client(io), upstream(io) {}
  asio::ip::tcp::socket client;
  asio::ip::tcp::socket upstream;
  std::array<char, 64 * 1024> to_server_buffer;
  std::array<char, 64 * 1024> to_client_buffer;
  bool closed = false;

  // Closes both sides; with `reset`, as an abort (RST) rather than an orderly end.
  void close(bool reset) {
    if (closed) return;
    closed = true;
    asio::error_code ec;
    for (auto* socket : {&client, &upstream}) {
      if (reset) socket->set_option(asio::socket_base::linger(true, 0), ec);
      socket->close(ec);
    }
  }
};

WireTap::WireTap(std::uint16_t upstream_port)
    : WireTap(std::vector<std::uint16_t>{upstream_port}) {}

WireTap::WireTap(std::vector<std::uint16_t> upstream_ports)
    : acceptor_(io_), upstream_ports_(std::move(upstream_ports)) {
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  acceptor_.open(endpoint.protocol());
  acceptor_.bind(endpoint);
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
  accept_next();
  thread_ = std::thread([this] { io_.run(); });
}

WireTap::~WireTap() {
  asio::post(io_, [this] {
    asio::error_code ec;
    acceptor_.close(ec);
    for (auto& weak : links_) {
      if (auto link = weak.lock()) link->close(false);
    }
    io_.stop();
  });
  thread_.join();
}

void WireTap::accept_next() {
  acceptor_.async_accept([this](asio::error_code ec, asio::ip::tcp::socket socket) {
    if (ec) return;  // closed
    ++accepted_;
    auto link = std::make_shared<Link>(io_);
    link->client = std::move(socket);
    links_.push_back(link);
    start_link(std::move(link));
    accept_next();
  });
}

void WireTap::set_upstream_ports(std::vector<std::uint16_t> ports) {
  std::lock_guard lock(mutex_);
  upstream_ports_ = std::move(ports);
}

std::uint16_t WireTap::next_upstream() {
  std::lock_guard lock(mutex_);
  return upstream_ports_[next_upstream_++ % upstream_ports_.size()];
}

void WireTap::start_link(std::shared_ptr<Link> link) {
  const asio::ip::tcp::endpoint upstream(asio::ip::make_address("127.0.0.1"), next_upstream());
  link->upstream.async_connect(upstream, [this, link](asio::error_code ec) {
    if (ec) {
      link->close(true);
      return;
    }
    asio::error_code ignored;
    link->client.set_option(asio::ip::tcp::no_delay(true), ignored);
    link->upstream.set_option(asio::ip::tcp::no_delay(true), ignored);
    pump(link, false);
    pump(link, true);
  });
}

void WireTap::pump(std::shared_ptr<Link> link, bool upstream_to_client) {
  auto& from = upstream_to_client ? link->upstream : link->client;
  auto& buffer = upstream_to_client ? link->to_client_buffer : link->to_server_buffer;
  from.async_read_some(
      asio::buffer(buffer), [this, link, upstream_to_client](asio::error_code ec, std::size_t n) {
        if (ec) {
          link->close(false);
          return;
        }
        auto& to = upstream_to_client ? link->client : link->upstream;
        const char* data =
            upstream_to_client ? link->to_client_buffer.data() : link->to_server_buffer.data();
        record(upstream_to_client, data, n);
        asio::async_write(to, asio::buffer(data, n),
                          [this, link, upstream_to_client](asio::error_code ec, std::size_t) {
                            if (ec) {
                              link->close(false);
                              return;
                            }
                            pump(link, upstream_to_client);
                          });
      });
}

void WireTap::record(bool upstream_to_client, const char* data, std::size_t n) {
  std::lock_guard lock(mutex_);
  (upstream_to_client ? to_client_ : to_server_).append(data, n);
}

std::string WireTap::client_to_server() const {
  std::lock_guard lock(mutex_);
  return to_server_;
}

std::string WireTap::server_to_client() const {
  std::lock_guard lock(mutex_);
  return to_client_;
}

std::size_t WireTap::cut_all() {
  std::promise<std::size_t> done;
  asio::post(io_, [this, &done] {
    std::size_t cut = 0;
    for (auto& weak : links_) {
      if (auto link = weak.lock(); link && !link->closed) {
        link->close(true);
        ++cut;
      }
    }
    links_.clear();
    done.set_value(cut);
  });
  return done.get_future().get();
}

}  // namespace fastchat::itest
