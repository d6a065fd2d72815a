#include "server/server.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <filesystem>

#include "cluster/local_bus.h"
#include "cluster/redis_bus.h"
#include "cluster/redis_login_limiter.h"
#include "common/supervised.h"
#include "crypto/keystore.h"
#include "protocol/frame_codec.h"
#include "server/directory_handlers.h"
#include "server/idle_sweeper.h"
#include "server/inbox_replay.h"
#include "server/server_metrics.h"
#include "server/session.h"
#include "server/session_handlers.h"
#include "server/tombstone_sweeper.h"
#include "store/open_store.h"
#include "tls/identity.h"

namespace fastchat::server {

namespace {
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
}

Server::Server(ServerConfig config, const Clock& clock, std::unique_ptr<cluster::Bus> bus)
    : config_(std::move(config)), clock_(clock), bus_(std::move(bus)) {
  if (!bus_ && config_.redis_url.empty()) bus_ = std::make_unique<cluster::LocalBus>();
}

Server::~Server() {
  stop();
}

// A server whose key is not the one the database's token hashes are keyed with would
// refuse every login and token (DESIGN §5: one secret per cluster).
Status Server::check_server_key(const std::string& secret_path) {
  auto recorded = store_->claim_server_key(auth_->key_verifier());
  if (!recorded) return recorded.status();
  if (auth_->is_own_key_verifier(*recorded)) return Status::ok();
  return {Code::kForbidden,
          "the server key in " + secret_path +
              " is not the key of this database (another server made it first): give every "
              "server of the cluster the same key with --secret-file"};
}

Status Server::start() {
  protocol::silence_protobuf_logging();
  std::error_code fs_error;
  std::filesystem::create_directories(config_.data_dir, fs_error);
  if (fs_error) {
    return Status(Code::kIo,
                  "cannot create data dir " + config_.data_dir + ": " + fs_error.message());
  }
  std::filesystem::permissions(config_.data_dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, fs_error);

  auto store = store::open_store(config_.db_url, config_.data_dir);
  if (!store) return store.status();
  store_ = std::move(*store);

  const std::string secret_path =
      config_.secret_file.empty() ? config_.data_dir + "/server.key" : config_.secret_file;
  auto secret = crypto::ServerAuth::load_or_create_secret(secret_path);
  if (!secret) return secret.status();
  auth_ = std::make_unique<crypto::ServerAuth>(std::move(*secret));
  if (Status s = check_server_key(secret_path); !s) return s;
  if (Status s = start_tls(); !s) return s;  // its ticket keys come from the server key

  worker_ = std::make_unique<StoreWorker>(*store_, config_.store_threads);
  committer_ = std::make_unique<GroupCommitter>(*store_, config_.max_commit_batch);
  // Failed logins are counted in Redis in a cluster (the local counts are its fallback).
  auto local_limiter = std::make_unique<MemoryLoginLimiter>(clock_, config_.login_limits);
  if (config_.redis_url.empty()) {
    limiter_ = std::move(local_limiter);
  } else {
    auto limiter = cluster::RedisLoginLimiter::create(
        {.redis_url = config_.redis_url, .limits = config_.login_limits}, std::move(local_limiter));
    if (!limiter) return limiter.status();
    limiter_ = std::move(*limiter);
  }

  const std::size_t loops =
      config_.threads > 0 ? config_.threads : std::max(1u, std::thread::hardware_concurrency());
  asio::error_code ec;
  const auto address = asio::ip::make_address(config_.listen_host, ec);
  if (ec) return Status(Code::kBadRequest, "bad listen address " + config_.listen_host);
  std::uint16_t port = config_.listen_port;
  for (std::size_t i = 0; i < loops; ++i) {
    loops_.push_back(std::make_unique<asio::io_context>(1));
    auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(*loops_.back());
    const asio::ip::tcp::endpoint endpoint(address, port);
    acceptor->open(endpoint.protocol(), ec);
    if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor->set_option(ReusePort(true), ec);
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      acceptors_.clear();
      shards_.clear();
      loops_.clear();
      return Status(Code::kIo, "cannot listen on " + config_.listen_host + ":" +
                                   std::to_string(port) + ": " + ec.message());
    }
    port = acceptor->local_endpoint().port();  // the others share the first's port
    acceptors_.push_back(std::move(acceptor));
    shards_.push_back(std::make_unique<LoopShard>(i, loops_.back()->get_executor()));
  }
  port_ = port;
  config_.listen_port = port;
  if (Status s = start_cluster(); !s) {
    acceptors_.clear();
    shards_.clear();
    loops_.clear();
    return s;
  }
  context_ = std::make_unique<ServerContext>(ServerContext{config_, clock_, *worker_, *committer_,
                                                           registry_, directory_, *limiter_, *auth_,
                                                           *bus_, counters_, tls_.get()});
  bundle_limiter_ = std::make_unique<BundleRateLimiter>(clock_, config_.bundle_fetch_limits);
  context_->bundle_limiter = bundle_limiter_.get();
  send_limiter_ = std::make_unique<SendRateLimiter>(clock_, config_.send_limits);
  context_->send_limiter = send_limiter_.get();
  context_->loops = shards_;

  bus_->start({
      .on_delivery =
          [this](UserId user, std::uint64_t seq, std::shared_ptr<const std::string> frame) {
            registry_.deliver(user, seq, frame);
          },
      .on_presence =
          [this](const cluster::PresenceChange& change) {
            notify_presence(shards_, change.user, change.username, change.online);
          },
      // Notifications may have been lost: sessions get their inboxes again.
      .on_reconnected = [this] { replay_inboxes(*context_, loops_.front()->get_executor()); },
      // A login here raced a delivery on another server: the sessions of the user send
      // what they miss.
      .on_catch_up = [this](UserId user,
                            std::uint64_t up_to) { catch_up_inbox(*context_, user, up_to); },
      .on_revoked =
          [this](const cluster::SessionRevocation& revocation) {
            close_revoked(registry_, revocation);
          },
  });
  // A failed commit may have committed: every server's sessions re-read their inboxes.
  committer_->set_recovery_observer([this] {
    spdlog::info("store is back after a failed commit; sessions re-read their inboxes");
    replay_inboxes(*context_, loops_.front()->get_executor());
    bus_->request_resync();
  });
  committer_->start();
  sweeper_ = std::make_unique<TombstoneSweeper>(
      loops_.front()->get_executor(), *worker_, clock_,
      SweepSettings{.window = std::chrono::seconds(config_.dedupe_window_s),
                    .interval = std::chrono::milliseconds(config_.sweep_interval_ms)});
  sweeper_->start(counters_.task_failures);
  if (config_.idle_timeout_ms > 0) {
    idle_sweeper_ =
        std::make_unique<IdleSweeper>(loops_.front()->get_executor(), registry_, counters_,
                                      std::chrono::milliseconds(config_.idle_timeout_ms));
    idle_sweeper_->start();
  }
  for (std::size_t i = 0; i < loops_.size(); ++i)
    accept_loop(i);
  for (std::size_t i = 0; i < loops_.size(); ++i) {
    threads_.emplace_back([this, &loop = loops_[i], &shard = *shards_[i]] {
      shard.make_current();
      auto guard = asio::make_work_guard(*loop);
      run_supervised(*loop, "event loop", counters_.task_failures);
    });
  }
  started_ = true;
  spdlog::info("fastchat-server '{}' listening on {}:{} with {} loops, store: {}",
               config_.server_name, config_.listen_host, port_, loops_.size(),
               config_.db_url.empty() ? "sqlite in " + config_.data_dir : "postgresql");
  return write_ready_file();
}

void Server::accept_loop(std::size_t index) {
  auto& acceptor = *acceptors_[index];
  acceptor.async_accept([this, index](asio::error_code ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      if (counters_.connections_open.load(std::memory_order_relaxed) >= config_.max_connections) {
        asio::error_code ignored;
        socket.close(ignored);
      } else {
        std::make_shared<Session>(std::move(socket), *context_, *shards_[index])->start();
      }
    } else {
      spdlog::warn("accept failed: {}", ec.message());
    }
    accept_loop(index);
  });
}

Status Server::write_ready_file() const {
  if (config_.ready_file.empty()) return Status::ok();
  return crypto::write_private_file(config_.ready_file,
                                    config_.listen_host + ":" + std::to_string(port_) + "\n");
}

void Server::stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  spdlog::info("fastchat-server shutting down");
  for (std::size_t i = 0; i < acceptors_.size(); ++i) {
    asio::post(*loops_[i], [&acceptor = *acceptors_[i]] {
      asio::error_code ignored;
      acceptor.close(ignored);
    });
  }
  sweeper_->stop();
  if (idle_sweeper_) idle_sweeper_->stop();
  // Everything queued is committed and answered before the loops stop.
  committer_->stop();
  for (auto& loop : loops_)
    loop->stop();
  for (auto& thread : threads_)
    thread.join();
  bus_->stop();
  limiter_->stop();
  if (metrics_) metrics_->stop();
  worker_->stop();
  acceptors_.clear();
  sweeper_.reset();  // its timer must go before its io_context (the sweep may hold it too)
  idle_sweeper_.reset();
  loops_.clear();  // destroys the sessions still open
  spdlog::info("fastchat-server stopped");
}

LoopTotals Server::loop_totals() const {
  LoopTotals totals;
  for (const auto& shard : shards_) {
    const LoopCounters& c = shard->counters();
    totals.frames_in += c.frames_in.load(std::memory_order_relaxed);
    totals.messages_in += c.messages_in.load(std::memory_order_relaxed);
    totals.deliveries_out += c.deliveries_out.load(std::memory_order_relaxed);
  }
  return totals;
}

std::size_t Server::online_sessions() const {
  return registry_.authenticated_sessions();
}

CommitStats Server::commit_stats() const {
  return committer_ ? committer_->stats() : CommitStats{};
}

// --- TLS ------------------------------------------------------------------------

Status Server::start_tls() {
  if (config_.insecure_plaintext) {
    spdlog::warn(
        "TLS is OFF (--insecure-plaintext): everything on the wire is readable; "
        "for loopback benchmarks only");
    return Status::ok();
  }
  auto files = tls::ensure_identity(config_.tls_cert_file, config_.tls_key_file, config_.data_dir,
                                    {config_.public_host, config_.listen_host});
  if (!files) return files.status();
  const crypto::SecretBytes ticket_secret = auth_->tls_ticket_secret();
  auto tls = tls::ServerTls::create(
      files->cert_file, files->key_file,
      {.secret = ticket_secret.view(), .period = config_.tls_ticket_period, .unix_now = nullptr});
  if (!tls) return tls.status();
  tls_ = std::move(*tls);
  tls_fingerprint_ = tls_->fingerprint();
  tls_cert_file_ = files->cert_file;
  spdlog::info("TLS 1.3 with {} certificate {}; key fingerprint {}",
               files->generated ? "a new self-signed" : "the", files->cert_file, tls_fingerprint_);
  return Status::ok();
}

// --- cluster and operations wiring ------------------------------------------------

Status Server::start_cluster() {
  const std::string host = config_.public_host.empty() ? config_.listen_host : config_.public_host;
  if (config_.server_id.empty()) config_.server_id = host + ":" + std::to_string(port_);
  if (!config_.admin_listen.empty()) {
    ServerMetricsSources sources{
        .counters = counters_,
        .commit_stats = [this] { return commit_stats(); },
        .online_sessions = [this] { return online_sessions(); },
        .loop_totals = [this] { return loop_totals(); },
        .bus_stats = nullptr,
        .health = [this] { return health(); },
    };
    if (!config_.redis_url.empty()) sources.bus_stats = [this] { return redis_bus_->stats(); };
    metrics_ = std::make_unique<ServerMetrics>(std::move(sources));
    committer_->set_batch_observer([metrics = metrics_.get()](std::size_t n, double seconds) {
      metrics->observe_commit(n, seconds);
    });
  }
  if (!bus_) {
    asio::error_code not_an_address;  // a host name is fine
    if (asio::ip::make_address(host, not_an_address).is_unspecified() && !not_an_address) {
      spdlog::warn("clients will be sent to {}: set --public-host to a reachable address", host);
    }
    cluster::RedisBusOptions options;
    options.redis_url = config_.redis_url;
    options.advert = {config_.server_id, host, port_};
    options.connection_count = [this] {
      return counters_.connections_open.load(std::memory_order_relaxed);
    };
    if (metrics_) {
      options.on_publish_latency = [metrics = metrics_.get()](double seconds) {
        metrics->observe_publish(seconds);
      };
    }
    if (config_.tune_redis_bus) config_.tune_redis_bus(options);
    auto bus = cluster::RedisBus::create(std::move(options));
    if (!bus) return bus.status();
    redis_bus_ = bus->get();
    bus_ = std::move(*bus);
  }
  if (metrics_) return metrics_->start(config_.admin_listen);
  return Status::ok();
}

Status Server::health() const {
  if (redis_bus_ && !redis_bus_->stats().connected) {
    return Status(Code::kUnavailable, "not connected to Redis");
  }
  return Status::ok();
}

std::uint16_t Server::admin_port() const {
  return metrics_ ? metrics_->port() : 0;
}

}  // namespace fastchat::server
