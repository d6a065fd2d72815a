// HostileProxy: the server operator at the wire. A loopback proxy between real clients
// and real servers, both legs plaintext (why: tests/integration/README.md, "A hostile
// server"), that decodes every frame both ways with the real frame codec and lets a
// test decide the fate of each server→client frame: forward it (rewritten or not),
// drop it, hold it back (delay, then release: reorder), duplicate it, or inject an
// earlier one later (replay). Client→server frames pass unchanged; the proxy only
// reads them (acks, the requests a policy may want to know about).
//
// Links are told apart by the user the server's AuthOk named on them; a policy sees
// "" before that. Held frames belong to their link and die with it (a drop).
//
// Thread safety: runs its own I/O thread. The policy is called on that thread with the
// proxy's lock held (it must not call back into the proxy); every public method may be
// called from any thread.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fastchat.pb.h"

namespace fastchat::itest {

class HostileProxy {
 public:
  enum class Verdict {
    kForward,    // send it on (as the policy left it: it may rewrite the frame)
    kDrop,       // never send it
    kHold,       // keep it back until released (release_held, or kForwardThenRelease)
    kDuplicate,  // send it twice in a row
    // Send it, then everything held on the link, the latest held first (a reordering).
    kForwardThenRelease,
  };
  // The fate of one server→client frame on the link of `user` ("" before its AuthOk).
  using Policy = std::function<Verdict(const std::string& user, wire::Frame& frame)>;

  // New connections go to these ports in turn (a cluster's servers, as a balancer would).
  explicit HostileProxy(std::vector<std::uint16_t> upstream_ports);
  ~HostileProxy();
  HostileProxy(const HostileProxy&) = delete;
  HostileProxy& operator=(const HostileProxy&) = delete;

  std::uint16_t port() const { return port_; }

  // Replaces the policy (the default forwards everything unchanged).
  void set_policy(Policy policy);
  void honest() { set_policy({}); }

  // Sends `user`'s held frames now, in the order they were held; how many.
  std::size_t release_held(const std::string& user);
  std::size_t held(const std::string& user) const;
  // Sends `frame` to `user`'s newest open link as if the server had (a replay); false
  // when the user has no open link.
  bool inject(const std::string& user, const wire::Frame& frame);

  // Every InboxMessage the server sent `user` (pushes and sync page items, as the
  // server sent them, before the policy), in order.
  std::vector<wire::InboxMessage> server_sent(const std::string& user) const;
  // The highest Ack `user`'s client sent so far.
  std::uint64_t acked(const std::string& user) const;
  // How many frames of this kind (wire::Frame::BodyCase) `user`'s client sent, and the
  // server sent `user` (before the policy).
  std::size_t requests(const std::string& user, wire::Frame::BodyCase kind) const;
  std::size_t frames_to(const std::string& user, wire::Frame::BodyCase kind) const;

  // Resets every open link (the clients reconnect and sync); how many were open.
  std::size_t cut_all();

 private:
  struct Link;
  void accept_next();
  void start_link(const std::shared_ptr<Link>& link);
  void read_from_client(const std::shared_ptr<Link>& link);
  void read_from_server(const std::shared_ptr<Link>& link);
  // On the I/O thread: queues encoded bytes towards the client or the server.
  void write(const std::shared_ptr<Link>& link, bool to_client, std::string bytes);
  void write_next(const std::shared_ptr<Link>& link, bool to_client);
  // On the I/O thread, lock held: what the policy says about one server frame.
  void judge(const std::shared_ptr<Link>& link, wire::Frame frame, std::vector<std::string>& out);
  void observe_request(Link& link, const wire::Frame& frame);
  std::shared_ptr<Link> newest_link(const std::string& user) const;
  std::uint16_t next_upstream();

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::vector<std::uint16_t> upstream_ports_;
  std::atomic<std::size_t> next_upstream_{0};

  mutable std::mutex mutex_;
  Policy policy_;                                                // guarded by mutex_
  std::vector<std::weak_ptr<Link>> links_;                       // guarded by mutex_
  std::map<std::string, std::vector<wire::InboxMessage>> sent_;  // guarded by mutex_
  std::map<std::string, std::uint64_t> acked_;                   // guarded by mutex_
  std::map<std::string, std::map<int, std::size_t>> requests_;   // guarded by mutex_
  std::map<std::string, std::map<int, std::size_t>> to_client_;  // guarded by mutex_
  std::thread thread_;
};

// Policy helpers.
// True for a pushed InboxMessage (not a sync page).
inline bool is_push(const wire::Frame& frame) {
  return frame.body_case() == wire::Frame::kMessage;
}

}  // namespace fastchat::itest
