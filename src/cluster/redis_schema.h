// The cluster's data in Redis: key and channel names, the Lua scripts that change
// presence and the server registry atomically, and the pub/sub payloads. One place,
// so the bus, the registry and the balancer agree (docs/cluster.md describes it).
//
//   fc:server:<id>     hash {host, port, connections, beat}; PEXPIRE ttl, refreshed
//                      by the server's heartbeat. Its existence *is* liveness.
//   fc:servers         sorted set id -> last heartbeat (ms): the index of servers,
//                      live or dead-but-not-yet-swept.
//   fc:presence:<uid>  set of server ids holding at least one session of the user
//                      (only live servers count; dead ones are pruned lazily).
//   fc:users:<id>      set of "<uid>:<username>" with sessions on server <id>, so
//                      a dead server's users can be swept offline.
//   fc:srv:<id>        channel: deliveries for server <id>'s sessions.
//   fc:presence        channel: presence changes and control messages, to all.
//   fc:login:acct:<username>  integer: failed logins of the account in the current
//                      fixed window (PEXPIRE window, set by the first failure).
//   fc:login:addr:<address>   the same per client address (as the server saw it).
//   fc:login:pair:<username>:<address>  the same per account and address.
//   fc:register:addr:<address>  registrations from the address in the window.
//                      Usernames are canonical (lower case); never passwords or tokens.
//
// Pure functions and constants; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/redis_connection.h"
#include "common/message_id.h"

namespace fastchat::cluster::schema {

inline constexpr std::string_view kServersIndex = "fc:servers";
inline constexpr std::string_view kPresenceChannel = "fc:presence";

std::string server_key(std::string_view server_id);      // fc:server:<id>
std::string server_channel(std::string_view server_id);  // fc:srv:<id>
std::string presence_key(UserId user);                   // fc:presence:<uid>

// Failed-login counters (RedisLoginLimiter): the canonical username, the client
// address as the server saw it.
std::string login_account_key(std::string_view username);  // fc:login:acct:<username>
std::string login_address_key(std::string_view address);   // fc:login:addr:<address>
std::string login_pair_key(std::string_view username, std::string_view address);
std::string register_address_key(std::string_view address);  // fc:register:addr:<address>

// Server ids travel in keys, channels and space-separated payloads: 1-64 of
// [A-Za-z0-9._:-].
bool valid_server_id(std::string_view id);

// --- payloads on fc:srv:<id>: 8-byte big-endian recipient id, 8-byte big-endian
// inbox seq, then the encoded push frame. Recipient 0 is the subscriber's own liveness
// probe. An empty frame is a catch-up request: the sender routed pushes of the
// recipient's inbox up to `seq` before it knew of the recipient's session on <id>.
std::string encode_delivery(UserId recipient, std::uint64_t seq, std::string_view frame);
struct Delivery {
  UserId recipient = 0;
  std::uint64_t seq = 0;
  std::string_view frame;
  bool catch_up() const { return frame.empty(); }
};
std::optional<Delivery> decode_delivery(std::string_view payload);

// --- payloads on fc:presence (written by the Lua scripts, read by every server):
//   "P <online 0|1> <transition 0|1> <uid> <server_id> <username>"
//       server <server_id> gained (online=1) or lost its sessions of the user;
//       transition=1 when that made the user online/offline cluster-wide.
//   "R <server_id>"  that server may have dropped deliveries: re-read inboxes.
//   "K <uid> <all_but 0|1> <session_id>"  sessions of the user were revoked: close
//       their connections (cluster::SessionRevocation).
struct PresenceEvent {
  bool online = false;
  bool transition = false;
  UserId user = 0;
  std::string server_id;
  std::string username;
};
struct ResyncRequest {
  std::string server_id;
};
std::string encode_resync(std::string_view server_id);
std::string encode_revocation(UserId user, std::uint32_t session_id, bool all_but);
struct Revocation {
  UserId user = 0;
  std::uint32_t session_id = 0;
  bool all_but = false;
};
// At most one is set for a well-formed payload; none otherwise.
struct ControlMessage {
  std::optional<PresenceEvent> presence;
  std::optional<ResyncRequest> resync;
  std::optional<Revocation> revocation;
};
ControlMessage decode_control(std::string_view payload);

// --- Lua scripts. Keys are built inside the scripts (one Redis, no Redis Cluster).
struct Script {
  std::string_view name;
  std::string_view source;
  std::string sha1;  // hex, for EVALSHA
};
// ARGV: server_id, uid, username. Adds the server to the user's presence and
// publishes a "P 1 ..." event. Returns 1 when the user came online cluster-wide.
const Script& open_script();
// ARGV: server_id, uid, username. The reverse of open; returns 1 when the user went
// offline cluster-wide.
const Script& close_script();
// ARGV: dead_server_id, max_users, force (0|1). Takes up to max_users of the dead
// server's users offline (as close does, publishing events); without force, does
// nothing while the server is live. Returns how many are left (-1: it is live), and
// drops the server from the index when none are.
const Script& sweep_script();
// ARGV: server_id, host, port, connections, ttl_ms, now_ms. Writes the registry
// entry with its TTL; returns {1 if it was still live before, beat}.
const Script& heartbeat_script();
// ARGV: server_id. Removes the entry (graceful shutdown).
const Script& deregister_script();
// No ARGV. Returns {{id, host, port, connections, beat, pttl}..., {dead_id...}}.
const Script& list_script();
// ARGV: uid... Returns one 0/1 per uid: has a session on a live server.
const Script& online_script();

// ARGV: counter keys..., window_ms. INCRs each counter and gives it its PEXPIRE when
// its window starts (the first count) or when it has none. Returns the new counts, in
// order. (Failed logins, registrations.)
const Script& count_in_window_script();

// SCRIPT LOAD of every script above: queue it first thing after each (re)connect.
void load_scripts(RedisConnection& redis);
// EVALSHA with the given ARGV (no KEYS); falls back to EVAL when Redis lost the
// script (SCRIPT FLUSH). Same contract as RedisConnection::command.
bool run_script(RedisConnection& redis, const Script& script, std::vector<std::string> args,
                RedisConnection::ReplyHandler handler = {});

}  // namespace fastchat::cluster::schema
