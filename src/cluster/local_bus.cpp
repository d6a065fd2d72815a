#include "cluster/local_bus.h"

namespace fastchat::cluster {

void LocalBus::start(BusHandlers handlers) {
  std::lock_guard lock(mutex_);
  handlers_ = std::move(handlers);
  started_ = true;
}

void LocalBus::stop() {
  std::lock_guard lock(mutex_);
  started_ = false;
}

void LocalBus::publish_delivery(UserId recipient, std::uint64_t seq,
                                std::shared_ptr<const std::string> frame) {
  if (handlers_.on_delivery) handlers_.on_delivery(recipient, seq, std::move(frame));
}

void LocalBus::session_opened(UserId user, std::string_view username) {
  bool came_online;
  {
    std::lock_guard lock(mutex_);
    came_online = ++sessions_[user] == 1;
    if (!started_) return;
  }
  if (came_online && handlers_.on_presence) {
    handlers_.on_presence({user, std::string(username), true});
  }
}

void LocalBus::session_closed(UserId user, std::string_view username) {
  bool went_offline = false;
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(user);
    if (it == sessions_.end()) return;
    if (--it->second == 0) {
      sessions_.erase(it);
      went_offline = true;
    }
    if (!started_) return;
  }
  if (went_offline && handlers_.on_presence) {
    handlers_.on_presence({user, std::string(username), false});
  }
}

void LocalBus::query_online(std::vector<UserId> users,
                            std::function<void(std::vector<bool>)> done) {
  std::vector<bool> online(users.size());
  {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < users.size(); ++i)
      online[i] = sessions_.contains(users[i]);
  }
  done(std::move(online));
}

void LocalBus::publish_revocation(const SessionRevocation& revocation) {
  if (handlers_.on_revoked) handlers_.on_revoked(revocation);
}

}  // namespace fastchat::cluster
