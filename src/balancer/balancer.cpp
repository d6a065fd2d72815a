#include "balancer/balancer.h"

#include <spdlog/spdlog.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <fstream>
#include <future>
#include <random>

#include "common/supervised.h"
#include "ops/admin_server.h"
#include "ops/scrape_collector.h"
#include "protocol/error_mapping.h"
#include "protocol/frame_codec.h"
#include "tls/channel_io.h"

namespace fastchat::balancer {

namespace {

// Hello and Locate are tiny; nothing bigger is ever accepted here.
constexpr std::size_t kMaxFrameBytes = 4096;
constexpr auto kRedisCheckTimeout = std::chrono::seconds(2);

std::uint64_t random_seed() {
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

}  // namespace

Balancer::Balancer(BalancerConfig config, const Clock& clock)
    : config_(std::move(config)),
      clock_(clock),
      picker_(config_.strategy, config_.seed != 0 ? config_.seed : random_seed()) {}

Balancer::~Balancer() {
  stop();
}

Status Balancer::start() {
  protocol::silence_protobuf_logging();
  auto endpoint = cluster::parse_redis_url(config_.redis_url);
  if (!endpoint) return endpoint.status();
  endpoint_ = *endpoint;
  if (Status s = cluster::ping_redis(endpoint_, kRedisCheckTimeout); !s) return s;
  if (!config_.insecure_plaintext) {
    if (config_.tls_cert_file.empty() || config_.tls_key_file.empty()) {
      return Status(Code::kBadRequest,
                    "the balancer needs --tls-cert and --tls-key: the cluster's certificate and "
                    "key, the same files as its servers' (docs/deployment.md); or "
                    "--insecure-plaintext for loopback benchmarks");
    }
    auto tls = tls::ServerTls::create(config_.tls_cert_file, config_.tls_key_file);
    if (!tls) return tls.status();
    tls_ = std::move(*tls);
    spdlog::info("balancer: TLS 1.3, key fingerprint {}", tls_->fingerprint());
  }

  asio::error_code ec;
  const auto address = asio::ip::make_address(config_.listen_host, ec);
  if (ec) return Status(Code::kBadRequest, "bad listen address " + config_.listen_host);
  const asio::ip::tcp::endpoint listen(address, config_.listen_port);
  acceptor_ = std::make_unique<asio::ip::tcp::acceptor>(io_);
  acceptor_->open(listen.protocol(), ec);
  if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(listen, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    acceptor_.reset();
    return Status(Code::kIo, "cannot listen on " + config_.listen_host + ":" +
                                 std::to_string(config_.listen_port) + ": " + ec.message());
  }
  port_ = acceptor_->local_endpoint().port();

  if (!config_.admin_listen.empty()) {
    admin_ = std::make_unique<ops::AdminServer>([this] { return health(); });
    auto metrics = std::make_shared<ops::ScrapeCollector>();
    auto read = [](const std::atomic<std::uint64_t>& a) {
      return [&a] { return static_cast<double>(a.load(std::memory_order_relaxed)); };
    };
    metrics->add_counter("fastchat_balancer_locates_total", "Locate requests answered",
                         read(located_), {{"result", "ok"}});
    metrics->add_counter("fastchat_balancer_locates_total", "Locate requests answered",
                         read(no_server_), {{"result", "no_server"}});
    metrics->add_counter("fastchat_balancer_bad_requests_total",
                         "connections closed for a protocol violation or timeout",
                         read(bad_requests_));
    metrics->add_counter("fastchat_balancer_task_failures_total",
                         "asynchronous work that threw (logged)", read(task_failures_));
    metrics->add_gauge("fastchat_balancer_connections", "open client connections",
                       read(connections_open_));
    metrics->add_gauge("fastchat_balancer_live_servers", "live chat servers in the registry",
                       read(live_servers_));
    metrics->add_gauge("fastchat_balancer_registry_fresh",
                       "1 when the last registry read from Redis succeeded",
                       [this] { return registry_fresh_.load() ? 1.0 : 0.0; });
    admin_->add(metrics);
    if (Status s = admin_->start(config_.admin_listen); !s) {
      admin_.reset();
      acceptor_.reset();
      return s;
    }
  }

  redis_ = std::make_unique<cluster::RedisConnection>(io_, endpoint_, "balancer");
  refresh_timer_ = std::make_unique<asio::steady_timer>(io_);
  asio::post(io_, [this] {
    redis_->start([this] { refresh(); });
    refresh();
    accept();
  });
  thread_ = std::thread([this] {
    cluster::block_sigpipe_on_this_thread();
    run_supervised(io_, "balancer loop", task_failures_);
  });
  started_ = true;
  spdlog::info("fastchat-balancer listening on {}:{} ({}, registry {})", config_.listen_host, port_,
               strategy_name(config_.strategy), endpoint_.to_string());
  if (!config_.ready_file.empty()) {
    std::ofstream out(config_.ready_file, std::ios::trunc);
    out << config_.listen_host << ":" << port_ << "\n";
    if (!out) return Status(Code::kIo, "cannot write " + config_.ready_file);
  }
  return Status::ok();
}

void Balancer::stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  if (admin_) admin_->stop();
  std::promise<void> done;
  asio::post(io_, [this, &done] {
    asio::error_code ignored;
    acceptor_->close(ignored);
    refresh_timer_->cancel();
    redis_.reset();
    done.set_value();
  });
  done.get_future().wait();
  io_.stop();  // open client connections are abandoned with their coroutines
  thread_.join();
  spdlog::info("fastchat-balancer stopped");
}

std::uint16_t Balancer::admin_port() const {
  return admin_ ? admin_->port() : 0;
}

BalancerStats Balancer::stats() const {
  BalancerStats s;
  s.located = located_.load();
  s.no_server = no_server_.load();
  s.bad_requests = bad_requests_.load();
  s.connections_open = connections_open_.load();
  s.live_servers = live_servers_.load();
  s.registry_fresh = registry_fresh_.load();
  return s;
}

Status Balancer::health() const {
  if (!registry_fresh_) return Status(Code::kUnavailable, "cannot read the registry from Redis");
  if (live_servers_ == 0) return Status(Code::kNoServer, "no live chat server");
  return Status::ok();
}

void Balancer::refresh() {
  if (!redis_) return;
  if (redis_->connected()) {
    cluster::list_servers(*redis_, [this](Result<cluster::ServerList> list) {
      const std::int64_t now = clock_.now_ms();
      registry_fresh_ = list.is_ok();
      if (list) picker_.update(list->live, now);
      // Without a fresh list, the entries we have expire on their own TTLs.
      live_servers_ = picker_.live_count(now);
    });
  } else {
    registry_fresh_ = false;
    live_servers_ = picker_.live_count(clock_.now_ms());
  }
  refresh_timer_->expires_after(config_.refresh_period);
  refresh_timer_->async_wait([this](const asio::error_code& ec) {
    if (!ec) refresh();
  });
}

void Balancer::accept() {
  acceptor_->async_accept([this](asio::error_code ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      if (connections_open_.load() >= config_.max_connections) {
        asio::error_code ignored;
        socket.close(ignored);
      } else {
        spawn_supervised(io_, serve(std::move(socket)), "balancer conversation", task_failures_);
      }
    } else {
      spdlog::warn("balancer: accept failed: {}", ec.message());
    }
    accept();
  });
}

namespace {

// What the deadline's handler touches. It shares ownership: a deadline that expires as
// the conversation ends has its handler queued already, and cancel() cannot stop it.
struct Conversation {
  explicit Conversation(asio::ip::tcp::socket s) : socket(std::move(s)) {}
  asio::ip::tcp::socket socket;
  bool timed_out = false;
};

}  // namespace

asio::awaitable<void> Balancer::serve(asio::ip::tcp::socket accepted) {
  connections_open_.fetch_add(1);
  const auto conversation = std::make_shared<Conversation>(std::move(accepted));
  asio::ip::tcp::socket& socket = conversation->socket;
  asio::error_code ec;
  socket.set_option(asio::ip::tcp::no_delay(true), ec);
  asio::steady_timer deadline(socket.get_executor());
  deadline.expires_after(config_.client_timeout);
  deadline.async_wait([conversation](const asio::error_code& e) {
    if (e) return;  // cancelled: the conversation ended first
    conversation->timed_out = true;
    asio::error_code ignored;
    conversation->socket.close(ignored);
  });

  std::unique_ptr<tls::Channel> channel;
  if (tls_) {
    socket.non_blocking(true, ec);
    auto made = tls::Channel::accept(*tls_, socket.native_handle());
    if (made) channel = std::move(*made);
  }
  bool done = false;
  if (tls_) {
    // Within the same deadline: a handshake that stalls is closed with the rest.
    const asio::error_code handshake_ec =
        channel ? co_await tls::co_handshake(socket, *channel) : asio::error::no_memory;
    if (handshake_ec) {
      bad_requests_.fetch_add(1);
      done = true;
    }
  }
  protocol::FrameDecoder decoder(kMaxFrameBytes);
  bool hello_done = false;
  while (!done) {
    wire::Frame frame;
    const auto next = decoder.next(frame);
    if (next == protocol::FrameDecoder::Next::kNeedMore) {
      const auto space = decoder.prepare(1024);
      // Named, not a temporary inside co_await (g++ 12; docs/decisions.md).
      const asio::mutable_buffer into(space.data(), space.size());
      auto [read_error, n] =
          co_await tls::co_read_some(socket, channel.get(), into.data(), into.size());
      if (read_error) {
        if (conversation->timed_out) bad_requests_.fetch_add(1);
        break;
      }
      decoder.commit(n);
      continue;
    }
    wire::Frame reply;
    reply.set_request_id(frame.request_id());
    if (next != protocol::FrameDecoder::Next::kFrame) {
      protocol::set_error(reply, 0,
                          next == protocol::FrameDecoder::Next::kTooLarge
                              ? Status(Code::kFrameTooLarge, "the balancer takes Hello and Locate")
                              : Status(Code::kBadRequest, "malformed frame"));
      bad_requests_.fetch_add(1);
      done = true;
    } else if (!hello_done && !frame.has_hello()) {
      protocol::set_error(reply, frame.request_id(),
                          Status(Code::kBadRequest, "the first frame must be Hello"));
      bad_requests_.fetch_add(1);
      done = true;
    } else if (frame.has_hello()) {
      if (frame.hello().protocol_version() != protocol::kProtocolVersion) {
        protocol::set_error(
            reply, frame.request_id(),
            Status(Code::kUnsupportedVersion,
                   "balancer speaks protocol version " +
                       std::to_string(protocol::kProtocolVersion) + ", client sent " +
                       std::to_string(frame.hello().protocol_version())));
        done = true;
      } else {
        hello_done = true;
        auto* ok = reply.mutable_hello_ok();
        ok->set_protocol_version(protocol::kProtocolVersion);
        ok->set_server_name("fastchat-balancer");
        ok->set_balancer(true);
        ok->set_max_frame_bytes(static_cast<std::uint32_t>(kMaxFrameBytes));
      }
    } else if (frame.has_locate()) {
      if (auto server = picker_.pick(clock_.now_ms())) {
        auto* address = reply.mutable_server_address();
        address->set_host(server->host);
        address->set_port(server->port);
        address->set_server_id(server->id);
        located_.fetch_add(1);
      } else {
        protocol::set_error(reply, frame.request_id(),
                            Status(Code::kNoServer, "no chat server is available"));
        no_server_.fetch_add(1);
      }
      done = true;  // one answer per connection
    } else {
      protocol::set_error(reply, frame.request_id(),
                          Status(Code::kBadRequest, "a balancer answers only Hello and Locate"));
      bad_requests_.fetch_add(1);
      done = true;
    }
    const std::string bytes = protocol::encode_frame(reply);
    const std::string_view out(bytes);
    const asio::error_code write_error = co_await tls::co_write_all(socket, channel.get(), out);
    if (write_error) break;
  }
  deadline.cancel();
  if (channel) channel->shutdown();
  socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket.close(ec);
  connections_open_.fetch_sub(1);
}

}  // namespace fastchat::balancer
