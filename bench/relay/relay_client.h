// RelayClient: one connection to the ceiling relay (relay_protocol.h) with the same
// habits as client::Connection (TCP_NODELAY, frames coalesced into one write per
// loop turn), but no protobuf and no request matching: the relay's acks come back in
// order. Thread safety: belongs to one single-threaded executor.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace fastchat::relay {

class RelayClient : public std::enable_shared_from_this<RelayClient> {
 public:
  using DataHandler = std::function<void(std::string_view body)>;
  using AckHandler = std::function<void()>;

  static std::shared_ptr<RelayClient> create(asio::any_io_executor executor);

  void set_handlers(DataHandler on_data, AckHandler on_ack) {
    on_data_ = std::move(on_data);
    on_ack_ = std::move(on_ack);
  }
  // Connects (from `source` when not empty), registers as `index` and waits for the
  // relay's ack.
  asio::awaitable<Status> connect(const std::string& host, std::uint16_t port, std::uint32_t index,
                                  const std::string& source);
  void send(std::uint32_t to, std::string_view body);
  void close();
  bool is_open() const { return open_; }

 private:
  explicit RelayClient(asio::any_io_executor executor) : socket_(executor) {}
  void read();
  void flush();

  asio::ip::tcp::socket socket_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0, end_ = 0;
  std::string outbound_, writing_;
  bool flush_scheduled_ = false, writing_now_ = false, open_ = false;
  DataHandler on_data_;
  AckHandler on_ack_;
};

}  // namespace fastchat::relay
