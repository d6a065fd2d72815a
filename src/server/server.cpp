#include "server/server.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <filesystem>

#include "cluster/local_bus.h"
#include "crypto/keystore.h"
#include "protocol/frame_codec.h"
#include "server/directory_handlers.h"
#include "server/session.h"
#include "store/open_store.h"

namespace fastchat::server {

namespace {
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
}

Server::Server(ServerConfig config, const Clock& clock, std::unique_ptr<cluster::Bus> bus)
    : config_(std::move(config)), clock_(clock), bus_(std::move(bus)) {
  if (!bus_) bus_ = std::make_unique<cluster::LocalBus>();
}

Server::~Server() {
  stop();
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

  worker_ = std::make_unique<StoreWorker>(*store_, config_.store_threads);
  committer_ = std::make_unique<GroupCommitter>(*store_, config_.max_commit_batch);
  limiter_ = std::make_unique<LoginLimiter>(clock_, config_.login_limits);
  context_ = std::make_unique<ServerContext>(ServerContext{config_, clock_, *worker_, *committer_,
                                                           registry_, directory_, *limiter_, *auth_,
                                                           *bus_, counters_});

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
      loops_.clear();
      return Status(Code::kIo, "cannot listen on " + config_.listen_host + ":" +
                                   std::to_string(port) + ": " + ec.message());
    }
    port = acceptor->local_endpoint().port();  // the others share the first's port
    acceptors_.push_back(std::move(acceptor));
  }
  port_ = port;
  config_.listen_port = port;

  bus_->start({
      .on_delivery =
          [this](UserId user, std::shared_ptr<const std::string> frame) {
            registry_.deliver(user, frame);
          },
      .on_presence =
          [this](const cluster::PresenceChange& change) {
            notify_presence(registry_, change.user, change.username, change.online);
          },
      .on_reconnected = [] {},
  });
  committer_->start();
  for (std::size_t i = 0; i < loops_.size(); ++i)
    accept_loop(i);
  for (auto& loop : loops_) {
    threads_.emplace_back([&loop] {
      auto guard = asio::make_work_guard(*loop);
      loop->run();
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
        std::make_shared<Session>(std::move(socket), *context_)->start();
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
  // Everything queued is committed and answered before the loops stop.
  committer_->stop();
  for (auto& loop : loops_)
    loop->stop();
  for (auto& thread : threads_)
    thread.join();
  bus_->stop();
  worker_->stop();
  acceptors_.clear();
  loops_.clear();  // destroys the sessions still open
  spdlog::info("fastchat-server stopped");
}

std::size_t Server::online_sessions() const {
  return registry_.authenticated_sessions();
}

CommitStats Server::commit_stats() const {
  return committer_ ? committer_->stats() : CommitStats{};
}

}  // namespace fastchat::server
