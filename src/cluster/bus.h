// Bus: how servers tell each other about deliveries and presence (DESIGN §1).
// LocalBus serves a single node in-process; RedisBus (cluster) carries the same
// events between servers over Redis pub/sub. The Bus is a notification channel,
// never the source of truth: a lost delivery is still in the recipient's inbox.
//
// Thread safety: every method may be called from any thread. Handlers may run on
// any thread (the caller's, for LocalBus); they must not block: post work instead.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/message_id.h"

namespace fastchat::cluster {

struct PresenceChange {
  UserId user = 0;
  std::string username;
  bool online = false;
};

// Sessions of `user` whose connections must end, on every server: session
// `session_id`, or, when `all_but`, every session except `session_id` (sessions a user
// controls, DESIGN §5). The store has deleted them already.
struct SessionRevocation {
  UserId user = 0;
  std::uint32_t session_id = 0;
  bool all_but = false;
};

struct BusHandlers {
  // An encoded push frame (length prefix included) of the recipient's inbox seq `seq`,
  // for every session of `recipient` connected to this server.
  std::function<void(UserId recipient, std::uint64_t seq, std::shared_ptr<const std::string> frame)>
      on_delivery;
  // A user came online (first session anywhere) or went offline (last session gone).
  std::function<void(const PresenceChange&)> on_presence;
  // The bus lost and regained its connection: deliveries may have been missed, so
  // sessions should re-read their inboxes.
  std::function<void()> on_reconnected;
  // Another server routed pushes of `recipient`'s inbox, up to seq `up_to`, before it
  // learned that the user has a session here (a login racing a delivery): the sessions
  // here should send what they are missing of the inbox. Optional.
  std::function<void(UserId recipient, std::uint64_t up_to)> on_catch_up;
  // Sessions were revoked: close this server's connections of them. Optional.
  std::function<void(const SessionRevocation&)> on_revoked;
};

class Bus {
 public:
  virtual ~Bus() = default;

  // Installs the handlers and starts delivering to them. Called once.
  virtual void start(BusHandlers handlers) = 0;
  virtual void stop() = 0;

  // Sends `frame`, the push of the recipient's inbox seq `seq`, to every session of
  // `recipient`, on whichever server it is.
  virtual void publish_delivery(UserId recipient, std::uint64_t seq,
                                std::shared_ptr<const std::string> frame) = 0;

  // A session of `user` opened / closed on this server. Presence changes are
  // published when the user's first session opens or last one closes, cluster-wide.
  virtual void session_opened(UserId user, std::string_view username) = 0;
  virtual void session_closed(UserId user, std::string_view username) = 0;

  // This server could not tell whether some deliveries were committed (a store call
  // failed without an answer): every server's sessions should re-read their inboxes.
  // The caller replays this server's own; the bus tells the others.
  virtual void request_resync() = 0;

  // True when every session is on this server (LocalBus): a delivery may then go
  // straight to this server's sessions instead of through publish_delivery().
  virtual bool single_node() const = 0;

  // Which of `users` are online anywhere; `done` may run on any thread.
  virtual void query_online(std::vector<UserId> users,
                            std::function<void(std::vector<bool>)> done) = 0;

  // Ends the connections of revoked sessions on every server, this one included (its
  // on_revoked runs before this returns, so a local close never waits for the bus).
  virtual void publish_revocation(const SessionRevocation& revocation) = 0;
};

}  // namespace fastchat::cluster
