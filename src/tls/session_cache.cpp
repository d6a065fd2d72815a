#include "tls/session_cache.h"

#include <ctime>

namespace fastchat::tls {

namespace {
bool expired(const SSL_SESSION* session) {
  return SSL_SESSION_get_time(session) + SSL_SESSION_get_timeout(session) <= std::time(nullptr);
}
}  // namespace

SslSessionPtr SessionCache::get(const std::string& address) const {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(address);
  if (it == sessions_.end() || expired(it->second.get())) return nullptr;
  // A copy: OpenSSL marks the session of a connection that ends without close_notify
  // as not resumable, and that must not reach the one kept here.
  return SslSessionPtr(SSL_SESSION_dup(it->second.get()));
}

void SessionCache::put(const std::string& address, SslSessionPtr session) {
  if (!session || SSL_SESSION_is_resumable(session.get()) != 1) return;
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(address);
  if (it != sessions_.end()) {
    it->second = std::move(session);
    return;
  }
  if (capacity_ == 0) return;
  if (sessions_.size() >= capacity_) sessions_.erase(sessions_.begin());
  sessions_.emplace(address, std::move(session));
}

void SessionCache::forget(const std::string& address) {
  std::lock_guard lock(mutex_);
  sessions_.erase(address);
}

std::size_t SessionCache::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace fastchat::tls
