#include "common/shutdown_signals.h"

#include <pthread.h>

namespace fastchat {

ShutdownSignals::ShutdownSignals() {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGINT);
  sigaddset(&signals_, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

int ShutdownSignals::wait() const {
  int signal = 0;
  sigwait(&signals_, &signal);
  return signal;
}

}  // namespace fastchat
