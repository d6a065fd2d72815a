#include "relay/relay_server.h"

#include <sys/socket.h>

#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <asio/write.hpp>
#include <unordered_map>

#include "relay/relay_protocol.h"

namespace fastchat::relay {

namespace {
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
constexpr std::size_t kReadChunk = 64 * 1024;
}  // namespace

// One relayed connection; lives on the loop that accepted it.
class RelayServer::Conn : public std::enable_shared_from_this<Conn> {
 public:
  Conn(RelayServer& server, std::size_t loop, asio::ip::tcp::socket socket)
      : server_(server), loop_(loop), socket_(std::move(socket)) {
    asio::error_code ec;
    socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  }

  void start() { read(); }
  std::size_t loop() const { return loop_; }

  // On this connection's loop: queue bytes and write them at the end of the turn.
  void queue(std::string_view bytes) {
    if (closed_) return;
    outbound_.append(bytes);
    if (flush_scheduled_ || writing_now_) return;
    flush_scheduled_ = true;
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
      self->flush_scheduled_ = false;
      self->flush();
    });
  }

 private:
  // Frames for connections on another loop, posted there once per read.
  struct Batch {
    std::string bytes;
    std::vector<std::pair<Conn*, std::pair<std::size_t, std::size_t>>> items;
  };

  void read() {
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
                              if (!self->consume()) {
                                self->close();
                                return;
                              }
                              self->read();
                            });
  }

  bool consume() {
    std::unordered_map<std::size_t, Batch> remote;
    while (end_ - begin_ >= 4) {
      const char* p = buffer_.data() + begin_;
      const std::uint32_t len = get_u32(p);
      if (len < 4 || len > kMaxFrame) return false;
      if (end_ - begin_ < 4 + len) break;
      const std::uint32_t to = get_u32(p + 4);
      const std::string_view frame(p, 4 + len);
      if (to == kRegister) {
        if (len < 8) return false;
        const std::uint32_t index = get_u32(p + 8);
        if (index >= kMaxConnections) return false;
        server_.add(index, shared_from_this());
        ack();
      } else {
        Conn* target = to < kMaxConnections ? server_.find(to) : nullptr;
        if (target != nullptr) {
          if (target->loop_ == loop_) {
            target->queue(frame);
          } else {
            auto& batch = remote[target->loop_];
            batch.items.push_back({target, {batch.bytes.size(), frame.size()}});
            batch.bytes.append(frame);
          }
          server_.forwarded_.fetch_add(1, std::memory_order_relaxed);
        }
        ack();
      }
      begin_ += 4 + len;
    }
    if (begin_ == end_) begin_ = end_ = 0;
    for (auto& [loop, batch] : remote) {
      asio::post(*server_.loops_[loop], [batch = std::move(batch)] {
        for (const auto& [conn, range] : batch.items)
          conn->queue(std::string_view(batch.bytes).substr(range.first, range.second));
      });
    }
    return true;
  }

  void ack() {
    std::string frame;
    append_frame(frame, kAck, {});
    queue(frame);
  }

  void flush() {
    if (closed_ || writing_now_ || outbound_.empty()) return;
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

  void close() {
    if (closed_) return;
    closed_ = true;
    asio::error_code ec;
    socket_.close(ec);
  }

  RelayServer& server_;
  std::size_t loop_;
  asio::ip::tcp::socket socket_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0, end_ = 0;
  std::string outbound_, writing_;
  bool flush_scheduled_ = false, writing_now_ = false, closed_ = false;
};

RelayServer::RelayServer(std::string host, std::uint16_t port, std::size_t threads)
    : host_(std::move(host)),
      port_(port),
      threads_(std::max<std::size_t>(1, threads)),
      by_index_(new std::atomic<Conn*>[kMaxConnections]) {
  for (std::size_t i = 0; i < kMaxConnections; ++i)
    by_index_[i].store(nullptr, std::memory_order_relaxed);
}

RelayServer::~RelayServer() {
  stop();
}

Status RelayServer::start() {
  asio::error_code ec;
  const auto address = asio::ip::make_address(host_, ec);
  if (ec) return Status(Code::kBadRequest, "bad relay address " + host_);
  std::uint16_t port = port_;
  for (std::size_t i = 0; i < threads_; ++i) {
    loops_.push_back(std::make_unique<asio::io_context>(1));
    auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(*loops_.back());
    const asio::ip::tcp::endpoint endpoint(address, port);
    acceptor->open(endpoint.protocol(), ec);
    if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor->set_option(ReusePort(true), ec);
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Status(Code::kIo, "relay cannot listen: " + ec.message());
    port = acceptor->local_endpoint().port();
    acceptors_.push_back(std::move(acceptor));
  }
  port_ = port;
  for (std::size_t i = 0; i < threads_; ++i)
    accept_loop(i);
  for (auto& loop : loops_) {
    workers_.emplace_back([&loop] {
      auto guard = asio::make_work_guard(*loop);
      loop->run();
    });
  }
  started_ = true;
  return Status::ok();
}

void RelayServer::accept_loop(std::size_t index) {
  acceptors_[index]->async_accept([this, index](asio::error_code ec, asio::ip::tcp::socket s) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) std::make_shared<Conn>(*this, index, std::move(s))->start();
    accept_loop(index);
  });
}

RelayServer::Conn* RelayServer::find(std::uint32_t index) const {
  return by_index_[index].load(std::memory_order_acquire);
}

void RelayServer::add(std::uint32_t index, std::shared_ptr<Conn> conn) {
  std::lock_guard lock(owners_mutex_);
  by_index_[index].store(conn.get(), std::memory_order_release);
  owners_.push_back(std::move(conn));
}

void RelayServer::stop() {
  if (!started_) return;
  started_ = false;
  for (auto& loop : loops_)
    loop->stop();
  for (auto& t : workers_)
    t.join();
  workers_.clear();
  {
    std::lock_guard lock(owners_mutex_);
    owners_.clear();
  }
  acceptors_.clear();
  loops_.clear();
}

}  // namespace fastchat::relay
