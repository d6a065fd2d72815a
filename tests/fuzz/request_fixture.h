// The server of request_router_fuzz and its seed writer: an in-process fastchat server
// (real SQLite, plaintext loopback) with users "alice" and "bob", and group 1 of both.
// Requests go in on alice's logged-in connection; pre-login ones on a fresh connection.
#pragma once

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>

#include "raw_client.h"
#include "test_server.h"
#include "test_user.h"

namespace fastchat::fuzz {

class RequestFixture {
 public:
  explicit RequestFixture(const std::string& root)
      : server_(root, "off"),
        alice_(itest::TestUser::quick("alice")),
        bob_(itest::TestUser::quick("bob")) {
    server_.config().insecure_plaintext = true;
    server_.config().threads = 1;
    server_.config().store_threads = 1;
    if (!server_.start()) std::abort();
    if (!open(bob_, true) || !(client_ = open(alice_, true))) std::abort();
    wire::Frame group;
    group.mutable_create_group()->set_name("fuzz");
    group.mutable_create_group()->add_members("bob");
    if (!client_->call(group).has_group_info()) std::abort();
  }

  std::uint16_t port() const { return server_.port(); }

  // A new plaintext connection, after Hello (or before, when `hello` is false).
  std::unique_ptr<itest::RawClient> connect(bool hello) const {
    auto client = std::make_unique<itest::RawClient>(port(), itest::Transport::kPlaintext);
    if (!client->connected() || (hello && !client->hello())) std::abort();
    return client;
  }

  // Alice's logged-in connection; a new one when the last was closed or logged out,
  // and a new account when alice can no longer log in (a fuzzed ChangeLoginKey).
  itest::RawClient& logged_in() {
    if (!client_ || client_->peer_closed()) {
      client_ = open(alice_, false);
      while (!client_) {
        alice_ = itest::TestUser::quick("fuzz" + std::to_string(++spare_users_));
        client_ = open(alice_, true);
      }
    }
    return *client_;
  }
  void drop_connection() { client_.reset(); }

 private:
  std::unique_ptr<itest::RawClient> open(const itest::TestUser& user, bool create) const {
    auto client = connect(true);
    auto auth = create ? client->register_user(user) : client->login(user);
    if (!auth) return nullptr;
    return client;
  }

  itest::TestServer server_;
  itest::TestUser alice_;
  itest::TestUser bob_;
  std::unique_ptr<itest::RawClient> client_;
  int spare_users_ = 0;
};

}  // namespace fastchat::fuzz
