// RelayServer: the ceiling reference of fastchat-bench. It does the least a chat
// server must do, forward frames between connections, and nothing else: no store,
// no crypto, no protobuf. Same shape as fastchat-server (one event loop per thread,
// SO_REUSEPORT acceptor per loop, TCP_NODELAY, writes coalesced per loop turn,
// delivery to another loop as a posted batch), so that its throughput is what this
// machine can relay at all. Format: relay/relay_protocol.h.
//
// Thread safety: start() and stop() from one controlling thread; port() after start().
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"

namespace fastchat::relay {

class RelayServer {
 public:
  static constexpr std::size_t kMaxConnections = 1 << 18;

  RelayServer(std::string host, std::uint16_t port, std::size_t threads);
  ~RelayServer();
  RelayServer(const RelayServer&) = delete;
  RelayServer& operator=(const RelayServer&) = delete;

  Status start();
  void stop();
  std::uint16_t port() const { return port_; }
  std::uint64_t frames_forwarded() const { return forwarded_.load(); }

  class Conn;

 private:
  friend class Conn;
  void accept_loop(std::size_t index);
  Conn* find(std::uint32_t index) const;
  void add(std::uint32_t index, std::shared_ptr<Conn> conn);

  std::string host_;
  std::uint16_t port_;
  std::size_t threads_;
  std::vector<std::unique_ptr<asio::io_context>> loops_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
  std::vector<std::thread> workers_;
  std::unique_ptr<std::atomic<Conn*>[]> by_index_;
  std::mutex owners_mutex_;
  std::vector<std::shared_ptr<Conn>> owners_;  // keeps registered connections alive
  std::atomic<std::uint64_t> forwarded_{0};
  bool started_ = false;
};

}  // namespace fastchat::relay
