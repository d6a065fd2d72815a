// TLS session resumption for RawClients (tls_test.cpp): while a ScopedTlsResumption
// lives, every RawClient made on this thread offers the session kept in its cache for
// "127.0.0.1:PORT" and keeps the server's tickets there. Not thread-safe: one test
// thread sets it, and only for the RawClients that should resume.
#pragma once

#include <memory>

#include "tls/session_cache.h"

namespace fastchat::itest {

class ScopedTlsResumption {
 public:
  explicit ScopedTlsResumption(std::shared_ptr<tls::SessionCache> sessions);
  ~ScopedTlsResumption();
  ScopedTlsResumption(const ScopedTlsResumption&) = delete;
  ScopedTlsResumption& operator=(const ScopedTlsResumption&) = delete;

 private:
  std::shared_ptr<tls::SessionCache> before_;
};

// The cache in force on this thread (null: none).
std::shared_ptr<tls::SessionCache> tls_resumption_cache();

}  // namespace fastchat::itest
