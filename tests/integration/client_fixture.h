// ClientFixture: real fastchat::client::Client objects (each with its own home dir)
// against the test's servers (test_cluster.h), driven from the test thread. Every
// Client lives on one I/O thread; the test thread drives them with co_spawn(...,
// use_future) and waits with deadlines. What each Client reports through its events is
// collected in its Inbox.
#pragma once

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/use_future.hpp>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "client/client.h"
#include "support/test_passwords.h"
#include "test_cluster.h"
#include "test_server.h"

namespace fastchat::itest {

// What one Client reported through its events. Thread-safe.
class Inbox {
 public:
  void add(const client::ChatMessage& message) {
    std::lock_guard lock(mutex_);
    ++count_[message.id.to_hex()];
    messages_.push_back(message);
    changed_.notify_all();
  }
  void connection(bool up) {
    std::lock_guard lock(mutex_);
    (up ? ups_ : downs_)++;
    changed_.notify_all();
  }
  // Waits until `n` distinct messages arrived.
  bool wait_for(std::size_t n, milliseconds timeout = seconds(30)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return count_.size() >= n; });
  }
  bool wait_for_downs(int n, milliseconds timeout = seconds(30)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return downs_ >= n; });
  }
  std::vector<client::ChatMessage> messages() const {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  std::size_t distinct() const {
    std::lock_guard lock(mutex_);
    return count_.size();
  }
  // Ids reported more than once.
  std::vector<std::string> repeated() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& [id, n] : count_) {
      if (n > 1) out.push_back(id + " x" + std::to_string(n));
    }
    return out;
  }
  int downs() const {
    std::lock_guard lock(mutex_);
    return downs_;
  }
  void identity_changed(std::string_view user) {
    std::lock_guard lock(mutex_);
    identity_changes_.emplace_back(user);
  }
  void undecryptable(const client::UndecryptableMessage& m) {
    std::lock_guard lock(mutex_);
    undecryptable_.push_back(m);
  }
  std::vector<std::string> identity_changes() const {
    std::lock_guard lock(mutex_);
    return identity_changes_;
  }
  std::vector<client::UndecryptableMessage> undecryptable() const {
    std::lock_guard lock(mutex_);
    return undecryptable_;
  }
  // Delivery receipts, as "<id hex> <recipient>".
  void delivered(std::string what) {
    std::lock_guard lock(mutex_);
    delivered_.push_back(std::move(what));
    changed_.notify_all();
  }
  bool wait_for_deliveries(std::size_t n, milliseconds timeout = seconds(30)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return delivered_.size() >= n; });
  }
  std::vector<std::string> deliveries() const {
    std::lock_guard lock(mutex_);
    return delivered_;
  }
  int ups() const {
    std::lock_guard lock(mutex_);
    return ups_;
  }
  void progress(const client::FileProgress& p) {
    std::lock_guard lock(mutex_);
    progress_.push_back(p);
  }
  std::vector<client::FileProgress> file_progress() const {
    std::lock_guard lock(mutex_);
    return progress_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, int> count_;
  std::vector<client::ChatMessage> messages_;
  std::vector<std::string> delivered_;
  std::vector<client::FileProgress> progress_;
  int ups_ = 0;
  int downs_ = 0;
  std::vector<std::string> identity_changes_;
  std::vector<client::UndecryptableMessage> undecryptable_;
};

class ClientFixture : public ServerTest {
 protected:
  struct Peer {
    std::string name;
    std::string home;
    std::unique_ptr<client::Client> client;
    Inbox inbox;
    std::future<void> running;
  };

  void SetUp() override {
    // First, so that TearDown has a thread to join even when SetUp skips.
    thread_ = std::thread([this] { io_.run(); });
    ServerTest::SetUp();
  }

  void TearDown() override {
    for (auto& [name, peer] : peers_)
      stop(*peer);
    // Clients are destroyed on their own executor.
    on_io([this] { peers_.clear(); });
    work_.reset();
    io_.stop();
    thread_.join();
    ServerTest::TearDown();
  }

  // Runs `fn` on the I/O thread and waits for it.
  void on_io(std::function<void()> fn) {
    std::promise<void> done;
    asio::post(io_, [&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }

  // co_awaits `op` on the I/O thread; throws (failing the test) after `timeout`.
  template <typename T>
  T await(asio::awaitable<T> op, milliseconds timeout = seconds(30)) {
    // use_future wants a default-constructible result; Result<T> is not.
    auto future = asio::co_spawn(io_, as_optional(std::move(op)), asio::use_future);
    if (future.wait_for(timeout) != std::future_status::ready) {
      throw std::runtime_error("a client operation did not finish before the deadline");
    }
    return *future.get();
  }
  template <typename T>
  static asio::awaitable<std::optional<T>> as_optional(asio::awaitable<T> op) {
    co_return co_await std::move(op);
  }

  // A Client for `name` with its own home dir, connecting to `port` (the server's
  // by default, or a WireTap's).
  Peer& peer(const std::string& name, std::uint16_t to_port = 0) {
    auto& slot = peers_[name];
    if (!slot) {
      slot = std::make_unique<Peer>();
      slot->name = name;
      slot->home = dir_.file("home-" + name);
    }
    Peer& p = *slot;
    client::ClientConfig config;
    config.server.host = "127.0.0.1";
    config.server.port = to_port != 0 ? to_port : port();
    config.home_dir = p.home;
    config.client_name = "itest-" + name;
    config.keepalive = keepalive_;
    config.insecure_plaintext = insecure_plaintext_;
    on_io([&] {
      p.client = std::make_unique<client::Client>(io_.get_executor(), config);
      p.client->set_events({
          .on_message = [&p](const client::ChatMessage& m) { p.inbox.add(m); },
          .on_identity_changed = [&p](std::string_view user,
                                      std::string_view) { p.inbox.identity_changed(user); },
          .on_connection = [&p](bool up) { p.inbox.connection(up); },
          .on_file_progress = [&p](const client::FileProgress& f) { p.inbox.progress(f); },
          .on_undecryptable =
              [&p](const client::UndecryptableMessage& m) { p.inbox.undecryptable(m); },
          .on_delivered =
              [&p](const MessageId& id, std::string_view by) {
                p.inbox.delivered(id.to_hex() + " " + std::string(by));
              },
      });
    });
    return p;
  }

  static std::string password(const std::string& name) { return test_support::test_password(name); }

  void register_account(Peer& p) {
    Status s = await(p.client->register_account(p.name, password(p.name)));
    ASSERT_TRUE(s) << s.to_string();
  }
  void login(Peer& p) {
    Status s = await(p.client->login(p.name, password(p.name)));
    ASSERT_TRUE(s) << s.to_string();
  }
  // Starts run() (pushes, reconnects) in the background.
  void start(Peer& p) { p.running = asio::co_spawn(io_, p.client->run(), asio::use_future); }
  void stop(Peer& p) {
    if (!p.client) return;
    on_io([&] { p.client->stop(); });
    if (p.running.valid()) {
      EXPECT_EQ(p.running.wait_for(seconds(20)), std::future_status::ready) << p.name;
    }
  }
  // Stops `p` and destroys its Client: the user is offline (its home dir stays).
  void go_offline(Peer& p) {
    stop(p);
    on_io([&] { p.client.reset(); });
  }

  std::string send(Peer& from, const std::string& to, const std::string& text) {
    auto sent = await(from.client->send_text(to, text));
    EXPECT_TRUE(sent) << sent.status().to_string();
    return sent ? sent->id.to_hex() : std::string();
  }

  // The keepalive of the next peer() made, and whether it talks plaintext (the
  // servers must then have been configured so).
  bool insecure_plaintext_ = false;
  milliseconds keepalive_ = client::ClientConfig{}.keepalive;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      io_.get_executor()};
  std::thread thread_;
  std::map<std::string, std::unique_ptr<Peer>> peers_;
};

}  // namespace fastchat::itest
