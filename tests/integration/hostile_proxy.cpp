#include "hostile_proxy.h"

#include <algorithm>
#include <asio/post.hpp>
#include <asio/write.hpp>
#include <deque>
#include <future>

#include "protocol/frame_codec.h"

namespace fastchat::itest {

struct HostileProxy::Link {
  explicit Link(asio::io_context& io) : client(io), upstream(io) {}
  asio::ip::tcp::socket client;
  asio::ip::tcp::socket upstream;
  protocol::FrameDecoder from_client;
  protocol::FrameDecoder from_server;
  std::deque<std::string> to_client;  // I/O thread only
  std::deque<std::string> to_server;  // I/O thread only
  bool writing_to_client = false;
  bool writing_to_server = false;
  std::atomic<bool> closed{false};  // read by the test thread too
  std::string user;                 // guarded by the proxy's mutex_
  std::vector<std::string> held;    // encoded frames; guarded by the proxy's mutex_

  void close(bool reset) {
    if (closed.exchange(true)) return;
    asio::error_code ec;
    for (auto* socket : {&client, &upstream}) {
      if (reset) socket->set_option(asio::socket_base::linger(true, 0), ec);
      socket->close(ec);
    }
  }
};

namespace {

// Runs `fn` on `io`'s thread and waits for its result.
template <typename Fn>
auto on_thread(asio::io_context& io, Fn fn) -> decltype(fn()) {
  std::promise<decltype(fn())> done;
  asio::post(io, [&] { done.set_value(fn()); });
  return done.get_future().get();
}

}  // namespace

HostileProxy::HostileProxy(std::vector<std::uint16_t> upstream_ports)
    : acceptor_(io_), upstream_ports_(std::move(upstream_ports)) {
  protocol::silence_protobuf_logging();
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  acceptor_.open(endpoint.protocol());
  acceptor_.bind(endpoint);
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
  accept_next();
  thread_ = std::thread([this] { io_.run(); });
}

HostileProxy::~HostileProxy() {
  asio::post(io_, [this] {
    asio::error_code ec;
    acceptor_.close(ec);
    std::lock_guard lock(mutex_);
    for (auto& weak : links_) {
      if (auto link = weak.lock()) link->close(false);
    }
    io_.stop();
  });
  thread_.join();
}

void HostileProxy::set_policy(Policy policy) {
  std::lock_guard lock(mutex_);
  policy_ = std::move(policy);
}

std::uint16_t HostileProxy::next_upstream() {
  return upstream_ports_[next_upstream_++ % upstream_ports_.size()];
}

void HostileProxy::accept_next() {
  acceptor_.async_accept([this](asio::error_code ec, asio::ip::tcp::socket socket) {
    if (ec) return;  // closed
    auto link = std::make_shared<Link>(io_);
    link->client = std::move(socket);
    {
      std::lock_guard lock(mutex_);
      links_.push_back(link);
    }
    start_link(link);
    accept_next();
  });
}

void HostileProxy::start_link(const std::shared_ptr<Link>& link) {
  const asio::ip::tcp::endpoint upstream(asio::ip::make_address("127.0.0.1"), next_upstream());
  link->upstream.async_connect(upstream, [this, link](asio::error_code ec) {
    if (ec) {
      link->close(true);
      return;
    }
    asio::error_code ignored;
    link->client.set_option(asio::ip::tcp::no_delay(true), ignored);
    link->upstream.set_option(asio::ip::tcp::no_delay(true), ignored);
    read_from_client(link);
    read_from_server(link);
  });
}

void HostileProxy::read_from_client(const std::shared_ptr<Link>& link) {
  auto area = link->from_client.prepare();
  link->client.async_read_some(
      asio::buffer(area.data(), area.size()), [this, link](asio::error_code ec, std::size_t n) {
        if (ec) {
          link->close(false);
          return;
        }
        link->from_client.commit(n);
        for (;;) {
          std::string_view payload;
          const auto next = link->from_client.next_payload(payload);
          if (next == protocol::FrameDecoder::Next::kNeedMore) break;
          if (next != protocol::FrameDecoder::Next::kFrame) {
            link->close(true);  // not our test's business: a broken client stream
            return;
          }
          wire::Frame frame;
          if (frame.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
            std::lock_guard lock(mutex_);
            observe_request(*link, frame);
          }
          // Forwarded byte for byte: the proxy reads the client's requests, never alters them.
          std::string bytes(protocol::kLengthPrefixBytes, '\0');
          const auto size = static_cast<std::uint32_t>(payload.size());
          for (std::size_t i = 0; i < protocol::kLengthPrefixBytes; ++i)
            bytes[i] = static_cast<char>(size >> (8 * (protocol::kLengthPrefixBytes - 1 - i)));
          bytes.append(payload);
          write(link, false, std::move(bytes));
        }
        read_from_client(link);
      });
}

void HostileProxy::observe_request(Link& link, const wire::Frame& frame) {
  if (frame.has_login()) link.user = frame.login().username();
  if (frame.has_resume()) link.user = frame.resume().username();
  if (frame.has_register_()) link.user = frame.register_().username();
  if (link.user.empty()) return;
  ++requests_[link.user][static_cast<int>(frame.body_case())];
  if (frame.has_ack()) {
    auto& acked = acked_[link.user];
    acked = std::max(acked, frame.ack().up_to_seq());
  }
}

void HostileProxy::read_from_server(const std::shared_ptr<Link>& link) {
  auto area = link->from_server.prepare();
  link->upstream.async_read_some(asio::buffer(area.data(), area.size()),
                                 [this, link](asio::error_code ec, std::size_t n) {
                                   if (ec) {
                                     link->close(false);
                                     return;
                                   }
                                   link->from_server.commit(n);
                                   std::vector<std::string> out;
                                   for (;;) {
                                     wire::Frame frame;
                                     const auto next = link->from_server.next(frame);
                                     if (next == protocol::FrameDecoder::Next::kNeedMore) break;
                                     if (next != protocol::FrameDecoder::Next::kFrame) {
                                       link->close(true);
                                       return;
                                     }
                                     std::lock_guard lock(mutex_);
                                     judge(link, std::move(frame), out);
                                   }
                                   for (auto& bytes : out)
                                     write(link, true, std::move(bytes));
                                   read_from_server(link);
                                 });
}

void HostileProxy::judge(const std::shared_ptr<Link>& link, wire::Frame frame,
                         std::vector<std::string>& out) {
  if (frame.has_auth_ok()) link->user = frame.auth_ok().username();
  if (!link->user.empty()) {
    ++to_client_[link->user][static_cast<int>(frame.body_case())];
    auto& sent = sent_[link->user];
    if (frame.has_message()) sent.push_back(frame.message());
    if (frame.has_sync_page()) {
      for (const auto& item : frame.sync_page().messages())
        sent.push_back(item);
    }
  }
  const Verdict verdict = policy_ ? policy_(link->user, frame) : Verdict::kForward;
  std::string bytes = protocol::encode_frame(frame);
  switch (verdict) {
    case Verdict::kForward:
      out.push_back(std::move(bytes));
      return;
    case Verdict::kDrop:
      return;
    case Verdict::kHold:
      link->held.push_back(std::move(bytes));
      return;
    case Verdict::kDuplicate:
      out.push_back(bytes);
      out.push_back(std::move(bytes));
      return;
    case Verdict::kForwardThenRelease:
      out.push_back(std::move(bytes));
      for (auto it = link->held.rbegin(); it != link->held.rend(); ++it)
        out.push_back(std::move(*it));
      link->held.clear();
      return;
  }
}

void HostileProxy::write(const std::shared_ptr<Link>& link, bool to_client, std::string bytes) {
  if (link->closed) return;
  (to_client ? link->to_client : link->to_server).push_back(std::move(bytes));
  if (!(to_client ? link->writing_to_client : link->writing_to_server)) write_next(link, to_client);
}

void HostileProxy::write_next(const std::shared_ptr<Link>& link, bool to_client) {
  auto& queue = to_client ? link->to_client : link->to_server;
  bool& writing = to_client ? link->writing_to_client : link->writing_to_server;
  if (queue.empty() || link->closed) {
    writing = false;
    return;
  }
  writing = true;
  auto& socket = to_client ? link->client : link->upstream;
  asio::async_write(socket, asio::buffer(queue.front()),
                    [this, link, to_client](asio::error_code ec, std::size_t) {
                      auto& queue = to_client ? link->to_client : link->to_server;
                      queue.pop_front();
                      if (ec) {
                        link->close(false);
                        return;
                      }
                      write_next(link, to_client);
                    });
}

std::shared_ptr<HostileProxy::Link> HostileProxy::newest_link(const std::string& user) const {
  for (auto it = links_.rbegin(); it != links_.rend(); ++it) {
    auto link = it->lock();
    if (link && !link->closed && link->user == user) return link;
  }
  return nullptr;
}

std::size_t HostileProxy::release_held(const std::string& user) {
  return on_thread(io_, [&] {
    std::vector<std::pair<std::shared_ptr<Link>, std::string>> out;
    {
      std::lock_guard lock(mutex_);
      for (auto& weak : links_) {
        auto link = weak.lock();
        if (!link || link->user != user) continue;
        for (auto& bytes : link->held)
          out.emplace_back(link, std::move(bytes));
        link->held.clear();
      }
    }
    for (auto& [link, bytes] : out)
      write(link, true, std::move(bytes));
    return out.size();
  });
}

std::size_t HostileProxy::held(const std::string& user) const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& weak : links_) {
    auto link = weak.lock();
    if (link && link->user == user && !link->closed) n += link->held.size();
  }
  return n;
}

bool HostileProxy::inject(const std::string& user, const wire::Frame& frame) {
  const std::string bytes = protocol::encode_frame(frame);
  return on_thread(io_, [&] {
    std::shared_ptr<Link> link;
    {
      std::lock_guard lock(mutex_);
      link = newest_link(user);
    }
    if (!link) return false;
    write(link, true, bytes);
    return true;
  });
}

std::vector<wire::InboxMessage> HostileProxy::server_sent(const std::string& user) const {
  std::lock_guard lock(mutex_);
  auto it = sent_.find(user);
  return it == sent_.end() ? std::vector<wire::InboxMessage>{} : it->second;
}

std::uint64_t HostileProxy::acked(const std::string& user) const {
  std::lock_guard lock(mutex_);
  auto it = acked_.find(user);
  return it == acked_.end() ? 0 : it->second;
}

std::size_t HostileProxy::requests(const std::string& user, wire::Frame::BodyCase kind) const {
  std::lock_guard lock(mutex_);
  auto it = requests_.find(user);
  if (it == requests_.end()) return 0;
  auto count = it->second.find(static_cast<int>(kind));
  return count == it->second.end() ? 0 : count->second;
}

std::size_t HostileProxy::frames_to(const std::string& user, wire::Frame::BodyCase kind) const {
  std::lock_guard lock(mutex_);
  auto it = to_client_.find(user);
  if (it == to_client_.end()) return 0;
  auto count = it->second.find(static_cast<int>(kind));
  return count == it->second.end() ? 0 : count->second;
}

std::size_t HostileProxy::cut_all() {
  return on_thread(io_, [&] {
    std::lock_guard lock(mutex_);
    std::size_t cut = 0;
    for (auto& weak : links_) {
      if (auto link = weak.lock(); link && !link->closed) {
        link->close(true);
        ++cut;
      }
    }
    links_.clear();
    return cut;
  });
}

}  // namespace fastchat::itest
