// SessionCache: the last TLS 1.3 session (a resumption ticket and its secret) a client
// got from each server address, kept in memory only (docs/decisions.md, "TLS session
// resumption"). A Channel offers it on the next connection to that address and the
// server may resume instead of a full handshake. Only sessions of connections whose
// server passed the client's trust check go in (Channel::remember_sessions).
//
// Thread safety: every method may be called from any thread (one small lock, never
// held across I/O).
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <string>

#include "tls/openssl_util.h"

namespace fastchat::tls {

class SessionCache {
 public:
  // At most `capacity` addresses; a new one beyond it evicts another.
  explicit SessionCache(std::size_t capacity = 64) : capacity_(capacity) {}
  SessionCache(const SessionCache&) = delete;
  SessionCache& operator=(const SessionCache&) = delete;

  // A copy of the session kept for `address`, null when none (or it expired).
  SslSessionPtr get(const std::string& address) const;
  // Keeps `session` (the cache's own: not one an SSL object still uses) for `address`
  // in place of the one before; a session that cannot be resumed is ignored.
  void put(const std::string& address, SslSessionPtr session);
  void forget(const std::string& address);
  std::size_t size() const;

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::map<std::string, SslSessionPtr> sessions_;
};

}  // namespace fastchat::tls
