// Daemon shutdown: SIGINT/SIGTERM are blocked in every thread (call this before
// starting any) and the main thread waits for one; SIGPIPE is ignored.
#pragma once

#include <csignal>

namespace fastchat {

class ShutdownSignals {
 public:
  ShutdownSignals();
  // Blocks until SIGINT or SIGTERM arrives; returns its number.
  int wait() const;

 private:
  sigset_t signals_;
};

}  // namespace fastchat
