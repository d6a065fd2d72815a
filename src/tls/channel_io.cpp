#include "tls/channel_io.h"

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <memory>

namespace fastchat::tls {

namespace {

constexpr auto kAsTuple = asio::experimental::as_tuple(asio::use_awaitable);

asio::socket_base::wait_type wait_for(Channel::Want want) {
  return want == Channel::Want::kWrite ? asio::socket_base::wait_write
                                       : asio::socket_base::wait_read;
}

// One async_write_all over TLS: writes what the socket takes, waits, goes on.
struct WriteOp : std::enable_shared_from_this<WriteOp> {
  WriteOp(asio::ip::tcp::socket& s, Channel& c, std::string_view d,
          std::function<void(asio::error_code)> f)
      : socket(s), channel(c), data(d), done(std::move(f)) {}

  void run(bool from_wait) {
    asio::error_code ec;
    while (offset < data.size()) {
      offset += channel.write(data.data() + offset, data.size() - offset, ec);
      if (ec == asio::error::would_block) {
        socket.async_wait(wait_for(channel.write_want()),
                          [self = shared_from_this()](asio::error_code wait_ec) {
                            if (wait_ec) {
                              self->done(wait_ec);
                              return;
                            }
                            self->run(true);
                          });
        return;
      }
      if (ec) break;
    }
    if (from_wait) {
      done(ec);
    } else {
      asio::post(socket.get_executor(), [self = shared_from_this(), ec] { self->done(ec); });
    }
  }

  asio::ip::tcp::socket& socket;
  Channel& channel;
  std::string_view data;
  std::size_t offset = 0;
  std::function<void(asio::error_code)> done;
};

struct HandshakeOp : std::enable_shared_from_this<HandshakeOp> {
  HandshakeOp(asio::ip::tcp::socket& s, Channel& c, std::function<void(asio::error_code)> f)
      : socket(s), channel(c), done(std::move(f)) {}

  void run(bool from_wait) {
    const auto ec = channel.handshake();
    if (ec == asio::error::would_block) {
      socket.async_wait(wait_for(channel.write_want()),
                        [self = shared_from_this()](asio::error_code wait_ec) {
                          if (wait_ec) {
                            self->done(wait_ec);
                            return;
                          }
                          self->run(true);
                        });
      return;
    }
    if (from_wait) {
      done(ec);
    } else {
      asio::post(socket.get_executor(), [self = shared_from_this(), ec] { self->done(ec); });
    }
  }

  asio::ip::tcp::socket& socket;
  Channel& channel;
  std::function<void(asio::error_code)> done;
};

}  // namespace

void async_write_all(asio::ip::tcp::socket& socket, Channel* channel, std::string_view data,
                     std::function<void(asio::error_code)> done) {
  if (channel == nullptr) {
    asio::async_write(socket, asio::buffer(data.data(), data.size()),
                      [done = std::move(done)](asio::error_code ec, std::size_t) { done(ec); });
    return;
  }
  std::make_shared<WriteOp>(socket, *channel, data, std::move(done))->run(false);
}

void async_handshake(asio::ip::tcp::socket& socket, Channel& channel,
                     std::function<void(asio::error_code)> done) {
  std::make_shared<HandshakeOp>(socket, channel, std::move(done))->run(false);
}

asio::awaitable<asio::error_code> co_write_all(asio::ip::tcp::socket& socket, Channel* channel,
                                               std::string_view data) {
  if (channel == nullptr) {
    const asio::const_buffer out(data.data(), data.size());
    auto [ec, n] = co_await asio::async_write(socket, out, kAsTuple);
    (void)n;
    co_return ec;
  }
  std::size_t offset = 0;
  while (offset < data.size()) {
    asio::error_code ec;
    offset += channel->write(data.data() + offset, data.size() - offset, ec);
    if (ec == asio::error::would_block) {
      const auto what = wait_for(channel->write_want());
      auto [wait_ec] = co_await socket.async_wait(what, kAsTuple);
      if (wait_ec) co_return wait_ec;
      continue;
    }
    if (ec) co_return ec;
  }
  co_return asio::error_code();
}

asio::awaitable<asio::error_code> co_handshake(asio::ip::tcp::socket& socket, Channel& channel) {
  for (;;) {
    const auto ec = channel.handshake();
    if (ec != asio::error::would_block) co_return ec;
    const auto what = wait_for(channel.write_want());
    auto [wait_ec] = co_await socket.async_wait(what, kAsTuple);
    if (wait_ec) co_return wait_ec;
  }
}

asio::awaitable<std::pair<asio::error_code, std::size_t>> co_read_some(
    asio::ip::tcp::socket& socket, Channel* channel, void* data, std::size_t size) {
  if (channel == nullptr) {
    const asio::mutable_buffer into(data, size);
    auto [ec, n] = co_await socket.async_read_some(into, kAsTuple);
    co_return std::make_pair(ec, n);
  }
  for (;;) {
    asio::error_code ec;
    const std::size_t n = channel->read(data, size, ec);
    if (ec != asio::error::would_block) co_return std::make_pair(ec, n);
    const auto what = wait_for(channel->read_want());
    auto [wait_ec] = co_await socket.async_wait(what, kAsTuple);
    if (wait_ec) co_return std::make_pair(wait_ec, std::size_t{0});
  }
}

}  // namespace fastchat::tls
