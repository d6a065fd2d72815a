#include "relay/relay_client.h"

#include <netinet/in.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "relay/relay_protocol.h"

namespace fastchat::relay {

namespace {
constexpr auto kAsTuple = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = 64 * 1024;
using BindNoPort = asio::detail::socket_option::boolean<IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT>;
}  // namespace

std::shared_ptr<RelayClient> RelayClient::create(asio::any_io_executor executor) {
  return std::shared_ptr<RelayClient>(new RelayClient(std::move(executor)));
}

asio::awaitable<Status> RelayClient::connect(const std::string& host, std::uint16_t port,
                                             std::uint32_t index, const std::string& source) {
  auto self = shared_from_this();
  asio::error_code ec;
  const asio::ip::tcp::endpoint remote(asio::ip::make_address(host, ec), port);
  if (ec) co_return Status(Code::kBadRequest, "relay address must be numeric");
  socket_.open(remote.protocol(), ec);
  if (!ec && !source.empty()) {
    socket_.set_option(BindNoPort(true), ec);
    if (!ec) socket_.bind(asio::ip::tcp::endpoint(asio::ip::make_address(source, ec), 0), ec);
  }
  if (ec) co_return Status(Code::kIo, "relay socket: " + ec.message());
  auto [connect_ec] = co_await socket_.async_connect(remote, kAsTuple);
  if (connect_ec) co_return Status(Code::kUnavailable, "relay connect: " + connect_ec.message());
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  std::string hello;
  std::string body;
  put_u32(body, index);
  append_frame(hello, kRegister, body);
  auto [write_ec, written] = co_await asio::async_write(socket_, asio::buffer(hello), kAsTuple);
  if (write_ec) co_return Status(Code::kUnavailable, "relay register: " + write_ec.message());
  char ack[8];
  auto [read_ec, got] = co_await asio::async_read(socket_, asio::buffer(ack), kAsTuple);
  if (read_ec || get_u32(ack + 4) != kAck) co_return Status(Code::kUnavailable, "relay: no ack");
  open_ = true;
  read();
  co_return Status::ok();
}

void RelayClient::send(std::uint32_t to, std::string_view body) {
  if (!open_) return;
  append_frame(outbound_, to, body);
  if (flush_scheduled_ || writing_now_) return;
  flush_scheduled_ = true;
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->flush_scheduled_ = false;
    self->flush();
  });
}

void RelayClient::flush() {
  if (!open_ || writing_now_ || outbound_.empty()) return;
  writing_.swap(outbound_);
  outbound_.clear();
  writing_now_ = true;
  asio::async_write(socket_, asio::buffer(writing_),
                    [self = shared_from_this()](asio::error_code ec, std::size_t) {
                      self->writing_now_ = false;
                      self->writing_.clear();
                      if (ec) {
                        self->close();
                        return;
                      }
                      self->flush();
                    });
}

void RelayClient::read() {
  if (buffer_.size() - end_ < kReadChunk) {
    if (begin_ > 0) {
      std::copy(buffer_.begin() + static_cast<std::ptrdiff_t>(begin_),
                buffer_.begin() + static_cast<std::ptrdiff_t>(end_), buffer_.begin());
      end_ -= begin_;
      begin_ = 0;
    }
    if (buffer_.size() - end_ < kReadChunk) buffer_.resize(end_ + kReadChunk);
  }
  socket_.async_read_some(asio::buffer(buffer_.data() + end_, buffer_.size() - end_),
                          [self = shared_from_this()](asio::error_code ec, std::size_t n) {
                            if (ec) {
                              self->close();
                              return;
                            }
                            self->end_ += n;
                            while (self->end_ - self->begin_ >= 8) {
                              const char* p = self->buffer_.data() + self->begin_;
                              const std::uint32_t len = get_u32(p);
                              if (len < 4 || len > kMaxFrame) {
                                self->close();
                                return;
                              }
                              if (self->end_ - self->begin_ < 4 + len) break;
                              if (get_u32(p + 4) == kAck) {
                                if (self->on_ack_) self->on_ack_();
                              } else if (self->on_data_) {
                                self->on_data_(std::string_view(p + 8, len - 4));
                              }
                              self->begin_ += 4 + len;
                            }
                            if (self->begin_ == self->end_) self->begin_ = self->end_ = 0;
                            if (self->open_) self->read();
                          });
}

void RelayClient::close() {
  if (!open_) return;
  open_ = false;
  asio::error_code ec;
  socket_.close(ec);
  on_data_ = nullptr;
  on_ack_ = nullptr;
}

}  // namespace fastchat::relay
