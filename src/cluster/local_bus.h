// LocalBus: the single-node Bus. Deliveries and presence changes are handed to the
// handlers directly, in process. Thread-safe; handlers run on the caller's thread.
#pragma once

#include <mutex>
#include <unordered_map>

#include "cluster/bus.h"

namespace fastchat::cluster {

class LocalBus final : public Bus {
 public:
  void start(BusHandlers handlers) override;
  void stop() override;
  void publish_delivery(UserId recipient, std::uint64_t seq,
                        std::shared_ptr<const std::string> frame) override;
  void session_opened(UserId user, std::string_view username) override;
  void session_closed(UserId user, std::string_view username) override;
  void request_resync() override {}  // no other servers to tell
  bool single_node() const override { return true; }
  void query_online(std::vector<UserId> users,
                    std::function<void(std::vector<bool>)> done) override;
  void publish_revocation(const SessionRevocation& revocation) override;

 private:
  BusHandlers handlers_;  // set once in start(), read-only afterwards
  std::mutex mutex_;
  std::unordered_map<UserId, int> sessions_;  // open sessions per online user
  bool started_ = false;
};

}  // namespace fastchat::cluster
