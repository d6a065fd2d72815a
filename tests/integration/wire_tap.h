// WireTap: a loopback TCP proxy for tests. Clients connect to port(); each
// connection is forwarded to an upstream server (with several, to each in turn, as a
// balancer would spread them over a cluster), and every byte in both
// directions is recorded (the zero-trust test searches it). cut_all() resets every
// open link at once, as a crashing network would.
//
// Thread safety: runs its own I/O thread; every public method may be called from
// any thread.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace fastchat::itest {

class WireTap {
 public:
  explicit WireTap(std::uint16_t upstream_port);
  explicit WireTap(std::vector<std::uint16_t> upstream_ports);
  ~WireTap();
  WireTap(const WireTap&) = delete;
  WireTap& operator=(const WireTap&) = delete;

  std::uint16_t port() const { return port_; }
  // New connections go to this upstream port, or these in turn (for restarted servers).
  void set_upstream_port(std::uint16_t port) { set_upstream_ports({port}); }
  void set_upstream_ports(std::vector<std::uint16_t> ports);

  // Everything forwarded so far, per direction.
  std::string client_to_server() const;
  std::string server_to_client() const;
  // Connections accepted so far.
  std::size_t connections() const { return accepted_; }

  // Resets every open link (both sides); returns how many were open.
  std::size_t cut_all();

 private:
  struct Link;
  void accept_next();
  void start_link(std::shared_ptr<Link> link);
  void pump(std::shared_ptr<Link> link, bool upstream_to_client);
  void record(bool upstream_to_client, const char* data, std::size_t n);

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::uint16_t next_upstream();
  std::atomic<std::size_t> accepted_{0};
  std::vector<std::weak_ptr<Link>> links_;  // on the I/O thread only
  mutable std::mutex mutex_;
  std::vector<std::uint16_t> upstream_ports_;  // guarded by mutex_
  std::size_t next_upstream_ = 0;              // guarded by mutex_
  std::string to_server_;
  std::string to_client_;
  std::thread thread_;
};

}  // namespace fastchat::itest
