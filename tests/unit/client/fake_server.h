// FakeServer: an in-memory stand-in for fastchat-server that speaks the wire
// protocol on 127.0.0.1 (port 0), for testing the client core hermetically. It keeps
// only what the real server keeps (ciphertext and routing), and has knobs to inject
// the failures the client must survive. Single-threaded: run it on the test's
// io_context.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fastchat.pb.h"
#include "protocol/frame_codec.h"

namespace fastchat::client::testing {

class FakeServer {
 public:
  struct User {
    std::string login_public_key;
    wire::PublicIdentity identity;
    std::vector<wire::InboxMessage> inbox;  // inbox[i].seq == i + 1
    std::uint64_t acked = 0;
    std::set<std::string> tokens;
    // E2EE v2 prekeys of the device that published last, stored unchecked (the client
    // checks what it fetches).
    std::uint32_t device_id = 0;
    std::optional<wire::SignedPrekey> signed_prekey;
    std::deque<wire::OneTimePrekey> one_time;
  };
  struct Group {
    std::string name;
    std::vector<std::string> members;  // members[0] is the admin
    // Signed membership records (crypto/membership.h), stored unchecked: clients check.
    std::vector<std::string> records;
  };

  explicit FakeServer(asio::io_context& io);
  ~FakeServer();
  std::uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // --- knobs
  // Commit the next N sends, then drop the connection instead of answering.
  int drop_after_commit = 0;
  // Push every inbox message twice.
  bool duplicate_pushes = false;
  // Do not push at all (messages wait for a sync).
  bool pushes_enabled = true;
  // Sync page size.
  std::uint32_t page_size = 3;
  // Flip a byte of the next stored body (a server that tampers).
  bool corrupt_next_body = false;
  // Before the next group send, add this user to the group without a signed record
  // (a member the server made up).
  std::string join_before_next_group_send;
  // Before the next group send, append this signed membership record to the group's
  // chain and apply its change (another admin's change, racing the send).
  std::string append_before_next_group_send;
  // Answer the next N Resume requests with UNAVAILABLE (a server that is struggling).
  int reject_resumes = 0;
  // Answer prekey requests as a server from before E2EE v2 (clients fall back to v1).
  bool prekeys_supported = true;
  // Hold the answers to FetchPrekeyBundles for this user until release_bundles(): a
  // first contact being set up, its bundle fetch in flight.
  std::string hold_bundles_of;

  // --- inspection and control
  std::map<std::string, User>& users() { return users_; }
  std::map<std::uint64_t, Group>& groups() { return groups_; }
  const std::vector<wire::Send>& sends() const { return sends_; }
  std::size_t stored_messages() const { return stored_ids_.size(); }
  // GetIdentities requests answered so far.
  std::size_t identity_requests() const { return identity_requests_; }
  // Every byte received from clients (to check nothing is in the clear).
  const std::string& received_bytes() const { return received_; }
  void disconnect_all();
  // Answers the held bundle fetches and holds no more.
  void release_bundles();
  // Bundle fetches held so far (answered or not).
  std::size_t held_bundle_requests() const { return held_bundle_requests_; }
  void disconnect(const std::string& user);
  std::size_t sessions() const;

 private:
  struct Session;
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(std::shared_ptr<Session> session);
  void handle(const std::shared_ptr<Session>& session, wire::Frame& frame);
  void handle_send(const std::shared_ptr<Session>& session, std::uint64_t request_id,
                   const wire::Send& send);
  void deliver(const std::string& recipient, wire::InboxMessage message);
  static void reply(const std::shared_ptr<Session>& session, const wire::Frame& frame);
  static void error(const std::shared_ptr<Session>& session, std::uint64_t request_id,
                    wire::ErrorCode code, const std::string& message);
  wire::GroupInfo group_info(std::uint64_t id) const;
  // Appends a record to its group's chain and applies its change; a wire error code
  // (ERROR_CODE_UNSPECIFIED when stored).
  wire::ErrorCode append_record(const std::string& bytes);

  asio::io_context& io_;
  asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::map<std::string, User> users_;
  std::map<std::uint64_t, Group> groups_;
  std::set<std::pair<std::string, std::string>> stored_ids_;  // (sender, message id)
  std::vector<wire::Send> sends_;
  std::vector<std::shared_ptr<Session>> sessions_;
  std::string received_;
  std::size_t identity_requests_ = 0;
  std::vector<std::pair<std::shared_ptr<Session>, wire::Frame>> held_bundles_;
  std::size_t held_bundle_requests_ = 0;
  std::uint64_t next_token_ = 1;
};

}  // namespace fastchat::client::testing
