// Asio glue for a connection that is either plaintext (channel == nullptr) or TLS
// (a Channel over the socket's descriptor): waiting for readiness, writing all of a
// buffer, the handshake. Callbacks for the server's readiness-driven sessions,
// coroutines for the client and the balancer.
//
// Thread safety: as the socket and the Channel: one thread (their loop) at a time.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <functional>
#include <string_view>
#include <utility>

#include "tls/channel.h"

namespace fastchat::tls {

// Calls `handler(error_code)` when a read may make progress: at once (posted) while
// the channel holds buffered plaintext, which no readiness event would announce.
template <typename Handler>
void async_wait_readable(asio::ip::tcp::socket& socket, Channel* channel, Handler&& handler) {
  if (channel != nullptr && channel->handshake_done() && channel->buffered()) {
    asio::post(socket.get_executor(),
               [h = std::forward<Handler>(handler)]() mutable { h(asio::error_code()); });
    return;
  }
  const bool write = channel != nullptr && channel->read_want() == Channel::Want::kWrite;
  socket.async_wait(write ? asio::socket_base::wait_write : asio::socket_base::wait_read,
                    std::forward<Handler>(handler));
}

// A non-blocking read (the socket must be in non-blocking mode): would_block, eof,
// or the bytes read.
inline std::size_t read_some(asio::ip::tcp::socket& socket, Channel* channel, void* data,
                             std::size_t size, asio::error_code& ec) {
  if (channel != nullptr) return channel->read(data, size, ec);
  return socket.read_some(asio::buffer(data, size), ec);
}

// Writes all of `data` (which must stay valid until `done`), then calls done(ec),
// never from inside this call.
void async_write_all(asio::ip::tcp::socket& socket, Channel* channel, std::string_view data,
                     std::function<void(asio::error_code)> done);

// Drives the handshake to its end; done(ec) as above.
void async_handshake(asio::ip::tcp::socket& socket, Channel& channel,
                     std::function<void(asio::error_code)> done);

// Coroutine forms.
asio::awaitable<asio::error_code> co_write_all(asio::ip::tcp::socket& socket, Channel* channel,
                                               std::string_view data);
asio::awaitable<asio::error_code> co_handshake(asio::ip::tcp::socket& socket, Channel& channel);
// Waits until something can be read and reads it: (ec, bytes).
asio::awaitable<std::pair<asio::error_code, std::size_t>> co_read_some(
    asio::ip::tcp::socket& socket, Channel* channel, void* data, std::size_t size);

}  // namespace fastchat::tls
