// fastchat::client::Client: the client core shared by the terminal client, the
// desktop client and the load tester. It owns one connection to a server, the
// local user's identity (keystore), session token and local history, and does all
// end-to-end encryption: callers deal in usernames and plaintext only.
//
// Thread safety: a Client belongs to the executor it was created with; call every
// method from a coroutine running on that executor. Many Clients may share one
// executor (the load tester runs thousands on a few threads).
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/endpoint.h"
#include "common/message_id.h"
#include "common/status.h"
#include "crypto/local_prekeys.h"
#include "crypto/x3dh.h"

namespace fastchat::client {

using fastchat::Endpoint;  // "HOST:PORT", "HOST" (port 7600) or "[v6]:PORT"
using fastchat::parse_endpoint;

struct ClientConfig {
  Endpoint server;
  // Holds keystores, the session file and local history (see docs/security.md).
  std::string home_dir;
  std::string client_name = "fastchat";
  // Persist history and session to home_dir (off for the load tester's throwaway users).
  bool persist = true;
  // TLS 1.3 on every connection unless insecure_plaintext (the server must have been
  // started with --insecure-plaintext too). The server's certificate is trusted when
  // it verifies against the system's CAs (or only `ca_file`'s, when given, and then
  // nothing else is trusted) and names the host; otherwise its key is pinned on first
  // use in <home_dir>/known_hosts (in memory when !persist), and a changed key is a
  // hard error (kCrypto) until `fastchat trust-server` accepts it.
  bool insecure_plaintext = false;
  std::string ca_file;
  // How this device's sessions are listed (`fastchat sessions`); empty: "fastchat on
  // HOSTNAME". At most 64 bytes are sent.
  std::string device_name;
  // A Ping when the connection was silent this long (ConnectionOptions::keepalive), so
  // that a server's --idle-timeout (5 minutes by default) never closes it. 0: never.
  std::chrono::milliseconds keepalive{60'000};
  // While logged in, the keystore's data key waits for the next process in the kernel
  // keyring and leaves it after this long unused; or, with data_key_in_file, it stays
  // in the session file as before (client/data_key_store.h, docs/security.md). Unset:
  // $FASTCHAT_KEY_IDLE_TIMEOUT (seconds; default 30 days), $FASTCHAT_DATA_KEY_IN_FILE=1.
  std::optional<std::chrono::seconds> key_idle_timeout;
  std::optional<bool> data_key_in_file;
};

// One of the logged-in user's sessions, as the server lists them.
struct SessionInfo {
  std::uint32_t session_id = 0;  // what revoke_session() takes
  std::uint32_t device_id = 0;   // stable across logins of one device
  std::string device_name;
  std::int64_t created_ms = 0;
  std::int64_t last_used_ms = 0;  // the last login or resume
  bool current = false;           // this client's session
  bool connected = false;         // has a live connection (on the server that answered)
};

// A message as the user sees it: decrypted and checked.
struct ChatMessage {
  MessageId id;
  std::uint64_t seq = 0;  // inbox sequence number; 0 for messages this user sent
  std::string sender;
  std::string peer;      // direct: the other user; group: empty
  GroupId group_id = 0;  // 0 for a direct message
  std::string text;
  std::int64_t sent_at_ms = 0;
  std::int64_t server_time_ms = 0;
  bool outgoing = false;
  // For a file or image: set when the last chunk arrived and it was saved.
  std::string file_name;
  std::string file_path;
  std::uint64_t file_size = 0;
  // Received: it opened only with a changed key of the sender's that the server
  // serves but the user has not accepted (`fastchat verify SENDER`): show it marked.
  bool key_changed = false;
  // Outgoing: how many recipients' clients confirmed storing it (delivery receipts).
  std::uint32_t delivered_to = 0;
};

// What `fastchat verify USER` shows: the pinned identity key of a contact, whether the
// user verified it, and a changed key the server serves instead, if any.
struct ContactTrust {
  std::string username;
  bool verified = false;
  std::string own_fingerprint;  // the local user's identity
  std::string fingerprint;      // the contact's pinned identity
  std::string safety_number;    // 60 digits over both pinned keys, the same for both users
  // Set when the server serves another key for the contact than the pinned one.
  bool key_changed = false;
  std::string new_fingerprint;
  std::string new_safety_number;  // what the number would be with the changed key
};

// A received message that did not decrypt with the sender's pinned key (nor a
// pending changed one): dropped and acknowledged, never a reason to fetch keys.
struct UndecryptableMessage {
  MessageId id;
  std::string sender;
  GroupId group_id = 0;
  std::string reason;
};

struct UserInfo {
  std::string username;
  bool online = false;
};

struct GroupMemberInfo {
  std::string username;
  bool admin = false;
};

struct GroupInfo {
  GroupId id = 0;
  std::string name;
  // From get_group, create_group, add_member, remove_member: the members the group's
  // signed membership proves (docs/e2ee-v2.md, "Group membership"), checked against what
  // the server lists. From list_groups: as the server lists them (not checked).
  std::vector<GroupMemberInfo> members;
  std::uint64_t membership_seq = 0;  // the verified chain's length; 0: not verified
};

// A verified change of a group's members, from its signed membership chain.
struct MembershipEvent {
  enum class Kind { kCreated, kAdded, kRemoved, kLeft };
  GroupId group_id = 0;
  std::uint64_t seq = 0;  // its place in the group's chain (1: the creation)
  Kind kind = Kind::kCreated;
  std::string actor;       // who signed it
  std::string subject;     // added or removed: that member; left: the actor; created: empty
  std::int64_t at_ms = 0;  // the actor's clock, as signed
};

// "alice created the group", "alice added carol", "alice removed bob", "bob left".
// Inline: the CLI's formatting library uses it without linking the client core.
inline std::string describe(const MembershipEvent& event) {
  switch (event.kind) {
    case MembershipEvent::Kind::kCreated:
      return event.actor + " created the group";
    case MembershipEvent::Kind::kAdded:
      return event.actor + " added " + event.subject;
    case MembershipEvent::Kind::kRemoved:
      return event.actor + " removed " + event.subject;
    case MembershipEvent::Kind::kLeft:
      return event.actor + " left";
  }
  return event.actor + " changed the group";
}

// A file transfer in either direction, reported after each chunk sent or received
// (the last one of a received file is reported as the message itself, on_message).
struct FileProgress {
  std::string transfer_id;  // the file's id, hex; the same for every chunk of one file
  std::string peer;         // direct: the other user; group: empty
  GroupId group_id = 0;     // group: the group it goes to; direct: 0
  std::string sender;       // who sends the file (this user for an outgoing one)
  std::string file_name;
  std::uint64_t done_bytes = 0;
  std::uint64_t total_bytes = 0;
  bool outgoing = false;
};

struct ClientEvents {
  std::function<void(const ChatMessage&)> on_message;  // each new message, once
  std::function<void(const UserInfo&)> on_presence;    // watched user went on/offline
  // The server serves another key for a contact than the pinned one (fingerprint: of
  // that new key). The pin stays; fired at a Client's first use of the contact.
  std::function<void(std::string_view username, std::string_view fingerprint)> on_identity_changed;
  std::function<void(bool connected)> on_connection;                  // connection lost / restored
  std::function<void(const FileProgress&)> on_file_progress;          // a chunk went or came
  std::function<void(const UndecryptableMessage&)> on_undecryptable;  // dropped, say so
  // `recipient`'s client stored the message `id` this user sent (once per recipient).
  std::function<void(const MessageId& id, std::string_view recipient)> on_delivered;
  // A verified membership change this client had not seen (once per change).
  std::function<void(const MembershipEvent&)> on_membership;
};

class Client {
 public:
  Client(asio::any_io_executor executor, ClientConfig config);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void set_events(ClientEvents events);

  // --- account. Each connects if needed. Argon2id runs here (~100 ms), off the
  // caller's loop when the executor allows it. A new password (register,
  // change_password) below the minimum strength fails with kWeakPassword before
  // anything is sent (client/password_strength.h).
  asio::awaitable<Status> register_account(std::string_view username, std::string_view password);
  asio::awaitable<Status> login(std::string_view username, std::string_view password);
  // Logs in with the session saved by an earlier register/login (no password).
  // kKeysLocked when the keystore's data key left the kernel keyring (a reboot, or
  // unused past key_idle_timeout): unlock() with the password, then resume again.
  asio::awaitable<Status> resume();
  // Puts the saved session's data key back (unwrapped from the keystore with the
  // password); nothing is sent, the saved session token stays. kAuthFailed for a wrong
  // password, kNotAuthenticated when no session is saved.
  asio::awaitable<Status> unlock(std::string_view password);
  // Revokes the token on the server (also when the keys are locked) and forgets the
  // local session and its data key.
  asio::awaitable<Status> logout();
  // Changes the password of the logged-in user: the keystore is re-wrapped under the
  // new one and the server's login key replaced (proved with the current one); the
  // account's other sessions are revoked. kAuthFailed for a wrong current password.
  asio::awaitable<Status> change_password(std::string_view current, std::string_view next);
  // The logged-in user, or empty.
  const std::string& username() const;
  // This device's E2EE id while logged in (0 otherwise): its keys, prekeys and sessions
  // are addressed by (username, device id) (docs/e2ee-v2.md "Devices").
  std::uint32_t device_id() const;
  // The user's sessions, most recently used first; revoking one, or all but this
  // client's, ends their connections on every server. Each returns how many went (0 for
  // an id that is not, or no longer, a session of the user).
  asio::awaitable<Result<std::vector<SessionInfo>>> list_sessions();
  asio::awaitable<Result<std::size_t>> revoke_session(std::uint32_t session_id);
  asio::awaitable<Result<std::size_t>> revoke_other_sessions();
  // The saved session's user, without connecting (empty if none).
  static std::string saved_user(const std::string& home_dir);

  // --- directory and presence
  asio::awaitable<Result<std::vector<UserInfo>>> list_users(std::string_view pattern);
  asio::awaitable<Result<std::vector<UserInfo>>> watch_presence(std::vector<std::string> users);
  // The fingerprint of the contact's pinned identity key.
  asio::awaitable<Result<std::string>> fingerprint(std::string_view username);

  // --- verified contacts (docs/security.md). Each asks the server for the contact's
  // keys first, so a changed key shows up (and is recorded as pending, never pinned).
  asio::awaitable<Result<ContactTrust>> contact_trust(std::string_view username);
  // The user compared the safety number: the pinned key is verified. kIdentityChanged
  // while a changed key is pending (accept_new_identity with confirm does both).
  asio::awaitable<Result<ContactTrust>> confirm_contact(std::string_view username);
  // Pins the changed key the server serves; verified only if `confirm`. kNotFound
  // when no key changed.
  asio::awaitable<Result<ContactTrust>> accept_new_identity(std::string_view username,
                                                            bool confirm);

  // --- messages. Each returns once the server durably committed the message. On a
  // broken connection the same message id is retried after reconnecting; over the
  // server's send limit it is retried after pauses (6 s in all), then kRateLimited. To a
  // contact whose key changed: kIdentityChanged if the user had verified it (nothing
  // is sent), otherwise sent to the changed key after on_identity_changed.
  asio::awaitable<Result<ChatMessage>> send_text(std::string_view to_user, std::string_view text);
  asio::awaitable<Result<ChatMessage>> send_group_text(GroupId group, std::string_view text);
  asio::awaitable<Result<ChatMessage>> send_file(std::string_view to_user, const std::string& path);
  // A file to every member, chunk by chunk as send_file, each chunk sealed as
  // send_group_text seals (a fresh key wrapped for each member). The member list is
  // read once and again only when the server says it changed: a member added
  // meanwhile gets the rest of the chunks only, so never the file.
  asio::awaitable<Result<ChatMessage>> send_group_file(GroupId group, const std::string& path);
  // Fetches everything not yet seen (pages, oldest first), decrypts, stores it in the
  // local history, reports each new message through on_message, and acks it.
  // Returns the number of new messages.
  asio::awaitable<Result<std::size_t>> sync();
  // The local history with a user or a group, oldest first: the last `limit` messages
  // (0: all) before the newest `skip_newest` ones, so a window can page backwards.
  Result<std::vector<ChatMessage>> history(std::string_view peer, GroupId group, std::size_t limit,
                                           std::size_t skip_newest = 0) const;
  // The newest message of each conversation in the local history (direct: `peer` set;
  // group: `group_id` set), newest first, at most `limit` (0: all).
  Result<std::vector<ChatMessage>> conversations(std::size_t limit) const;

  // --- groups
  asio::awaitable<Result<GroupInfo>> create_group(std::string_view name,
                                                  std::vector<std::string> members);
  asio::awaitable<Result<GroupInfo>> add_member(GroupId group, std::string_view user);
  asio::awaitable<Result<GroupInfo>> remove_member(GroupId group, std::string_view user);
  asio::awaitable<Status> leave_group(GroupId group);
  asio::awaitable<Result<std::vector<GroupInfo>>> list_groups();
  asio::awaitable<Result<GroupInfo>> get_group(GroupId group);
  // A group id from "123" or from a group name that is unique among the user's groups.
  asio::awaitable<Result<GroupId>> resolve_group(std::string_view name_or_id);
  // Membership is signed (docs/e2ee-v2.md, "Group membership"): create, add, remove and
  // leave sign a record; get_group, send_group_text and these verify the group's chain
  // from its creation (or the last verified head in the local history) with every
  // signer's pinned key. kMembershipUnverified when the server's member list is not the
  // one the chain proves (a member inserted, a removal dropped, an old list replayed, a
  // forked or forged chain), or when a group has no chain yet and this user is no admin
  // (an admin's client signs the current list the first time it uses such a group).
  // The verified changes of a group, oldest first, from the local history (the last
  // `limit`; 0: all).
  Result<std::vector<MembershipEvent>> membership_events(GroupId group,
                                                         std::size_t limit = 0) const;

  // --- blocks: a blocked user's direct messages to this user are dropped by the server
  // (their sends look normal to them) and their adding this user to a group is refused.
  // kUnknownUser.
  asio::awaitable<Status> block(std::string_view user);
  asio::awaitable<Status> unblock(std::string_view user);
  asio::awaitable<Result<std::vector<std::string>>> list_blocked();

  // --- E2EE v2 prekeys (docs/e2ee-v2.md, "Prekeys on the server"). The caller owns the
  // device's LocalPrekeys: `save` must store them durably (encrypted) and is called after
  // new keys are made and before any leaves; when it fails nothing is published.
  using SavePrekeys = std::function<Status(const crypto::LocalPrekeys&)>;
  // Publishes the device's signed prekey (made first when `local` has none) and a fresh
  // batch of one-time prekeys; the server forgets the device's earlier one-time prekeys.
  // Returns how many one-time prekeys the server holds for the device.
  asio::awaitable<Result<std::size_t>> publish_prekeys(crypto::LocalPrekeys& local,
                                                       std::uint32_t device_id, SavePrekeys save);
  // Asks how many one-time prekeys the server still holds for the device and, when they
  // run low, publishes more (client/prekey_bundles.h). Returns how many it holds after.
  asio::awaitable<Result<std::size_t>> top_up_prekeys(crypto::LocalPrekeys& local,
                                                      std::uint32_t device_id, SavePrekeys save);
  asio::awaitable<Result<std::size_t>> prekey_count(std::uint32_t device_id);
  // The prekey bundles of every device of `username`, each verified against the
  // contact's pinned identity: kCrypto for a bundle the server forged or altered.
  // Empty when the user published none.
  asio::awaitable<Result<std::vector<crypto::PrekeyBundle>>> fetch_prekey_bundles(
      std::string_view username);

  // --- staying connected
  // Keeps the session alive until stop(): pushes are received and handled as they
  // arrive; on a broken connection it reconnects with exponential backoff, resumes
  // the session and syncs, so nothing is lost and nothing shown twice.
  asio::awaitable<void> run();
  void stop();
  bool connected() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fastchat::client
