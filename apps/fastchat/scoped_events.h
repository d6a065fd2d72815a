// ScopedEvents: installs a Client's event callbacks for a scope and clears them
// when it ends. Single executor, like the Client.
#pragma once

#include "client/client.h"

namespace fastchat::cli {

// Clears the client's event callbacks when it goes out of scope, so a Client that
// outlives the objects its callbacks reference never calls into them.
class ScopedEvents {
 public:
  ScopedEvents(client::Client& client, client::ClientEvents events) : client_(client) {
    client_.set_events(std::move(events));
  }
  ~ScopedEvents() { client_.set_events({}); }
  ScopedEvents(const ScopedEvents&) = delete;
  ScopedEvents& operator=(const ScopedEvents&) = delete;

 private:
  client::Client& client_;
};

}  // namespace fastchat::cli
