// Client::Impl, the state behind the Client facade (client/client.h), split over
// client_*.cpp by job: account and connection (client_session.cpp), inbox delivery
// (client_inbox.cpp), sending (client_send.cpp, files to groups in
// client_group_files.cpp), directory and groups
// (client_directory.cpp), verified contacts (client_trust.cpp). Private to the library.
//
// Thread safety: as Client: one executor that runs no handlers concurrently.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "client/async_signal.h"
#include "client/client.h"
#include "client/connection.h"
#include "client/contacts.h"
#include "client/data_key_store.h"
#include "client/files.h"
#include "client/history_store.h"
#include "client/home.h"
#include "client/inbox_cursor.h"
#include "crypto/device_key.h"
#include "crypto/device_message.h"
#include "crypto/identity.h"
#include "crypto/local_prekeys.h"
#include "crypto/login_proof.h"
#include "crypto/membership.h"
#include "crypto/peer_sessions.h"
#include "crypto/secret.h"
#include "crypto/sender_key.h"
#include "crypto/state_box.h"
#include "fastchat.pb.h"

namespace fastchat::client {

class Client::Impl {
 public:
  // Pushes queued for the processing coroutine; beyond this they are dropped and a
  // sync fetches them instead (they stay in the server's inbox until acked).
  static constexpr std::size_t kMaxQueuedPushes = 1024;
  static constexpr std::size_t kMaxQueuedPushBytes = 16 << 20;
  // A send is retried (same message id) while the connection is down, for at most
  // this many attempts and this long in total.
  static constexpr int kMaxSendAttempts = 6;
  static constexpr std::chrono::seconds kSendRetryWindow{30};
  static constexpr int kMaxMembershipRetries = 3;
  static constexpr std::size_t kMaxTextBytes = 64 * 1024;

  Impl(asio::any_io_executor executor, ClientConfig config);
  ~Impl();

  // --- account and connection (client_session.cpp)
  asio::awaitable<Status> register_account(std::string username, crypto::SecretBytes password);
  asio::awaitable<Status> login(std::string username, crypto::SecretBytes password);
  asio::awaitable<Status> resume();
  asio::awaitable<Status> unlock(crypto::SecretBytes password);
  asio::awaitable<Status> logout();
  asio::awaitable<Status> change_password(crypto::SecretBytes current, crypto::SecretBytes next);
  // Sessions a user controls (client_sessions.cpp).
  asio::awaitable<Result<std::vector<SessionInfo>>> list_sessions();
  asio::awaitable<Result<std::size_t>> revoke_sessions(std::uint32_t session_id, bool all_others);
  // This home's device key for `username`, made on first use (in memory when !persist).
  Result<crypto::LoginKey> device_key_for(const std::string& username);
  std::string device_name() const;
  asio::awaitable<void> run();
  void stop();
  bool session_ready() const;
  // Connected and logged in, reconnecting (or waiting for run() to) if needed.
  asio::awaitable<Status> ensure_session();
  // ensure_session(), then one request.
  asio::awaitable<Result<wire::Frame>> call(wire::Frame frame);

  // --- inbox (client_inbox.cpp)
  asio::awaitable<Result<std::size_t>> sync_inbox();

  // --- sending (client_send.cpp)
  asio::awaitable<Result<ChatMessage>> send_text(std::string to_user, std::string text);
  asio::awaitable<Result<ChatMessage>> send_group_text(GroupId group, std::string text);
  asio::awaitable<Result<ChatMessage>> send_file(std::string to_user, std::string path);
  // client_group_files.cpp
  asio::awaitable<Result<ChatMessage>> send_group_file(GroupId group, std::string path);

  // --- delivery receipts (client_receipts.cpp)
  static constexpr std::size_t kMaxReceiptIds = 256;        // per receipt message
  static constexpr std::size_t kMaxPendingReceipts = 4096;  // beyond: not sent
  // A message from `sender` was stored: a receipt is due (none for one's own).
  void queue_receipt(const std::string& sender, const MessageId& id);
  // Sends the queued receipts, best effort; those that meet a broken connection wait
  // for the next call.
  // False when some were kept for a later try (not connected, or a first contact
  // being set up): the caller must wait before trying again.
  asio::awaitable<bool> send_receipts();
  bool receipts_pending() const { return !pending_receipts_.empty(); }

  // --- directory and groups (client_directory.cpp)
  asio::awaitable<Result<std::vector<UserInfo>>> list_users(std::string pattern);
  asio::awaitable<Result<std::vector<UserInfo>>> watch_presence(std::vector<std::string> users);
  asio::awaitable<Result<std::string>> fingerprint(std::string username);
  // Verified contacts (client_trust.cpp).
  enum class TrustAction { kShow, kConfirm, kAcceptNew, kAcceptNewVerified };
  asio::awaitable<Result<ContactTrust>> contact_trust(std::string username, TrustAction action);
  // A request answered with a GroupInfo; members the reply left out are fetched.
  asio::awaitable<Result<GroupInfo>> group_call(wire::Frame frame);
  asio::awaitable<Result<GroupInfo>> complete_members(GroupInfo group, bool more);
  asio::awaitable<Result<std::vector<GroupInfo>>> list_groups();
  asio::awaitable<Result<GroupId>> resolve_group(std::string name_or_id);

  // --- signed group membership and blocks (client_membership.cpp)
  struct VerifiedGroup {
    GroupInfo info;  // the members the chain proves, in username order
    crypto::MembershipChain chain;
  };
  // GetGroup and the group's chain, verified from the stored head; the server's list
  // must be the chain's. A group without a chain is signed first when this user is an
  // admin of it (kMembershipUnverified otherwise).
  asio::awaitable<Result<VerifiedGroup>> verified_group(GroupId group);
  // Fetches and verifies the records after the stored head; saves and reports them.
  asio::awaitable<Result<crypto::MembershipChain>> fetch_chain(GroupId group);
  asio::awaitable<Result<GroupInfo>> create_group(std::string name,
                                                  std::vector<std::string> members);
  // Signs and sends one change (add, remove, leave), again on a concurrent change.
  asio::awaitable<Result<GroupInfo>> change_membership(GroupId group,
                                                       crypto::MembershipAction action,
                                                       std::string subject);
  asio::awaitable<Status> set_blocked(std::string user, bool block);
  asio::awaitable<Result<std::vector<std::string>>> list_blocked();

  // --- E2EE v2 prekeys (client_prekeys.cpp)
  asio::awaitable<Result<std::size_t>> publish_prekeys(crypto::LocalPrekeys& local,
                                                       std::uint32_t device_id,
                                                       Client::SavePrekeys save);
  asio::awaitable<Result<std::size_t>> top_up_prekeys(crypto::LocalPrekeys& local,
                                                      std::uint32_t device_id,
                                                      Client::SavePrekeys save);
  asio::awaitable<Result<std::size_t>> prekey_count(std::uint32_t device_id);
  asio::awaitable<Result<std::vector<crypto::PrekeyBundle>>> fetch_prekey_bundles(
      std::string username);

  // --- E2EE v2 for 1:1 (client_ratchet.cpp), addressed per device.
  // This device's E2EE id (docs/e2ee-v2.md "Devices"): its device key's id, or
  // crypto::kLegacyDeviceId for a history whose E2EE state predates per-device ids.
  // Set by start_session.
  std::uint32_t device_id_ = 0;
  std::uint32_t choose_device_id() const;
  // The signed prekey is replaced after this long (at the next login, resume or top-up).
  static constexpr std::chrono::milliseconds kSignedPrekeyLifetime = std::chrono::hours(24 * 7);
  // Publishes this device's prekeys when it has none, rotates the signed prekey when due
  // and, with `check_count`, tops the one-time prekeys up when the server runs low.
  // Callers hold inbox_lock_ (receiving consumes prekeys too).
  asio::awaitable<Status> maintain_prekeys(bool check_count);
  asio::awaitable<void> maintain_prekeys_logged(bool check_count);
  // The body of a direct message to `to`: a ratchet message (v2), opening a session from
  // a verified bundle if needed; envelope v1 only for a peer that never had a session
  // and has no prekeys. `key_changed`: the peer's pending changed key was used.
  // `may_reconnect`: false for callers that run() itself awaits (receipts).
  // `allow_v1`: false for what must travel only in a ratchet session (sender keys).
  asio::awaitable<Result<std::string>> seal_direct(const std::string& to,
                                                   const wire::Content& content, bool& key_changed,
                                                   bool may_reconnect = true, bool allow_v1 = true);

  asio::any_io_executor executor_;
  ClientConfig config_;
  HomeLayout home_;
  DataKeyPolicy key_policy_;  // where the data key waits between processes
  ClientEvents events_;

  // The logged-in user (empty when none) and what keeps the session.
  std::string username_;
  crypto::SecretBytes token_;
  crypto::SecretBytes data_key_;
  std::unique_ptr<crypto::Identity> identity_;
  std::unique_ptr<HistoryStore> history_;
  std::unique_ptr<ContactBook> contacts_;
  std::unique_ptr<FileAssembler> files_;
  std::unique_ptr<crypto::StateBox> state_box_;  // seals the v2 state in history.db
  bool prekeys_consumed_ = false;                // a top-up check is due
  InboxCursor cursor_;
  // persist=false: identities of users registered by this Client, for a later login.
  std::unordered_map<std::string, crypto::SecretBytes> memory_keys_;
  std::unordered_map<std::string, std::unique_ptr<HistoryStore>> memory_histories_;
  // The device key the session is bound to; persist=false: per user, in memory.
  crypto::LoginKey device_key_;
  std::unordered_map<std::string, crypto::SecretBytes> memory_device_seeds_;

  // TLS for every connection (null: plaintext, or tls_status_ says why not).
  std::shared_ptr<const tls::ClientTls> tls_;
  std::shared_ptr<tls::ServerTrust> trust_;
  // The last TLS session per server address, for resumption on reconnects (memory
  // only: a ticket is a secret; docs/decisions.md).
  std::shared_ptr<tls::SessionCache> tls_sessions_ = std::make_shared<tls::SessionCache>();
  Status tls_status_;

  std::shared_ptr<Connection> conn_;
  bool authenticated_ = false;
  bool reconnecting_ = false;
  AsyncSignal session_changed_;  // the session came up or went down
  std::vector<std::string> watched_;

  bool running_ = false;
  bool stop_requested_ = false;
  bool need_sync_ = false;
  AsyncSignal run_wake_;

  std::deque<std::pair<wire::InboxMessage, std::size_t>> pushes_;  // with their sizes
  std::size_t push_bytes_ = 0;
  bool processor_running_ = false;
  AsyncSignal push_wake_;
  AsyncSignal processor_done_;
  AsyncLock inbox_lock_;  // one sync or push batch at a time, in seq order
  // One first contact at a time: concurrent sends to a peer without a session would
  // each fetch a bundle (using up one-time prekeys) and open sessions of their own.
  AsyncLock session_setup_lock_;

  // Groups whose chain this Client checked since it started (client_membership.cpp).
  std::unordered_set<GroupId> checked_groups_;

  std::map<std::string, std::vector<MessageId>> pending_receipts_;  // by sender
  std::size_t pending_receipt_count_ = 0;
  bool sending_receipts_ = false;

 private:
  // client_session.cpp
  asio::awaitable<Result<std::shared_ptr<Connection>>> connect_to_server();
  asio::awaitable<Status> open_connection();
  asio::awaitable<Result<wire::AuthOk>> authenticate(wire::Frame request);
  // Connects if needed and sends the request `make` builds for that connection (a
  // login proof signs the connection's nonce).
  using AuthRequest = std::function<wire::Frame(const Connection&)>;
  asio::awaitable<Result<wire::AuthOk>> authenticate_with(AuthRequest make);
  // A Resume of `username`'s `token`, signed by `device_key_` for each connection.
  AuthRequest resume_request(const std::string& username, std::string token);
  Status start_session(const std::string& username, std::unique_ptr<crypto::Identity> identity,
                       crypto::SecretBytes token, std::uint64_t server_acked_seq,
                       bool save_session_file);
  asio::awaitable<Status> reconnect();
  asio::awaitable<Status> resume_connection();
  void end_session();
  // Writes the session file and keeps the data key (key_policy_) when persisting.
  Status save_session_file_now();
  // A Logout for the saved session with its token and the device key alone: the
  // keys being locked must not keep a logout from revoking the token.
  asio::awaitable<Status> revoke_saved_token(const SavedSession& saved);
  // Leaves the current session (if any) before another login on this Client.
  void drop_session();
  void on_closed(Connection* connection, const Status& reason);
  void request_sync();

  // client_inbox.cpp
  void on_push(wire::Frame& frame);
  asio::awaitable<void> process_pushes();
  // The number of messages newly shown (0 or 1); an error only when the item could
  // not be processed for a reason that may pass (connection, local disk).
  asio::awaitable<Result<bool>> process_item(const wire::InboxMessage& item);
  // What recording one item leaves to do once its transaction committed.
  struct ItemOutcome {
    std::optional<ChatMessage> message;  // newly stored: report it, send a receipt
    std::optional<UndecryptableMessage> undecryptable;
    std::optional<std::string> progress_file_id;  // a chunk of a file still incomplete
    std::uint64_t membership_seq = 0;             // group: the chain length the sender verified
    // A sender key arrived (group, the chain length its sender stated): checked against
    // the membership once committed, then the messages kept for it are opened.
    std::optional<std::pair<GroupId, std::uint64_t>> sender_key;
  };
  // Decrypts, checks and stores one item (or marks it seen) inside the caller's
  // history transaction. `ensured`: whether the sender's keys could be fetched.
  Result<ItemOutcome> record_item(const wire::InboxMessage& item, const MessageId& id,
                                  const std::string& sender, const Status& ensured);
  // Who an opened item came from, beyond its sender's name.
  struct OpenedFrom {
    bool key_changed = false;  // it opened only with the sender's pending changed key
    std::uint32_t device = crypto::kLegacyDeviceId;  // the sender's device (v2 direct)
  };
  Result<wire::Content> open_item(const wire::InboxMessage& item, const std::string& sender,
                                  OpenedFrom& from);
  // Reports what a committed item brought (events, receipts, membership catch-up, a
  // sender key's kept messages); true when a message was newly shown.
  asio::awaitable<bool> report_item(const wire::InboxMessage& item, const MessageId& id,
                                    const std::string& sender, ItemOutcome& outcome);
  asio::awaitable<void> save_and_ack();
  // Verifies a group's new membership records before showing a message of it: once a
  // run, and again when the sender's chain (Content.membership_seq) is ahead of ours.
  asio::awaitable<void> catch_up_membership(GroupId group, std::uint64_t sender_seq);
  // on_file_progress for a chunk of a file still incomplete.
  void report_file_progress(const std::string& sender, GroupId group, const std::string& file_id);

  // client_ratchet.cpp
  struct StoredPrekeys {
    crypto::LocalPrekeys prekeys;
    std::int64_t signed_at_ms = 0;
  };
  crypto::LocalDevice local_device() const;
  // The saved sessions with `user`'s `device` under `identity` (nullopt: none).
  Result<std::optional<crypto::PeerSessions>> load_sessions(const std::string& user,
                                                            std::uint32_t device,
                                                            const crypto::PublicIdentity& identity);
  Status save_sessions(const crypto::PeerSessions& sessions);
  Result<std::optional<StoredPrekeys>> load_prekeys();
  Status save_prekeys(const crypto::LocalPrekeys& prekeys, std::int64_t signed_at_ms);
  // A per-device body (crypto/device_message.h): one ratchet message for each device
  // of `to` under `identity` that has a saved session (kNotFound when none), or, given
  // `bundles`, for each of their devices, opening sessions where needed. The advanced
  // states are committed before returning.
  Result<std::string> seal_with_sessions(const std::string& to,
                                         const crypto::PublicIdentity& identity,
                                         const std::vector<crypto::PrekeyBundle>& bundles,
                                         const wire::Content& content);
  // A v2 direct item from the contact: its entry for this device, tried with the
  // sessions of the sender's device under the pinned identity, then under a pending
  // changed one. Writes the new state into history_; the caller holds the transaction
  // that also records the message.
  Result<wire::Content> open_ratchet_item(const wire::InboxMessage& item, const Contact& contact,
                                          OpenedFrom& from);

  // client_receipts.cpp
  asio::awaitable<Status> send_receipt(const std::string& to, const std::vector<MessageId>& ids);
  // A receipt from `sender`: records and reports the deliveries it confirms.
  void take_receipt(const std::string& sender, const wire::DeliveryReceipt& receipt);

  // client_send.cpp
  asio::awaitable<Result<wire::SendOk>> send_with_retry(const wire::Frame& frame);
  // `frame` once the session is up, again after a reconnect or a rate limit (a Send
  // keeps its message id, so the server stores it once), within kSendRetryWindow.
  asio::awaitable<Result<wire::Frame>> request_with_retry(const wire::Frame& frame);
  asio::awaitable<Result<const Contact*>> contact(const std::string& username);
  // The members of `group` to seal for: everyone but this user, as the group's signed
  // membership proves them (verified_group), and the length of the chain that proves
  // them. kForbidden when this user is not a member; kMembershipUnverified when the
  // server's list is not the chain's; a broken connection is waited out as
  // send_with_retry does.
  struct GroupRecipients {
    std::vector<std::string> members;
    std::uint64_t membership_seq = 0;
  };
  asio::awaitable<Result<GroupRecipients>> group_recipients(GroupId group);
  // Seals `content` for `to` (group_recipients), stamped with its membership_seq, and
  // sends it once committed; kMembershipChanged when the server's member list differs
  // (read it again). `to_changed_key` is set when a member's key is a changed one not
  // yet accepted.
  asio::awaitable<Result<wire::SendOk>> send_group_content(const GroupRecipients& to,
                                                           wire::Content& content,
                                                           bool& to_changed_key);

  // client_sender_keys.cpp (docs/e2ee-v2.md, "Sender Keys for groups")
  struct OwnSenderKey {
    crypto::SenderKeySender sender;
    std::uint64_t created_seq = 0;  // the membership chain's length when it was made
  };
  struct ReceivedSenderKey {
    crypto::SenderKeyReceiver receiver;
    std::uint64_t membership_seq = 0;
  };
  Result<std::optional<OwnSenderKey>> load_own_sender_key(GroupId group);
  Status save_own_sender_key(GroupId group, const OwnSenderKey& key);
  Result<std::optional<ReceivedSenderKey>> load_received_sender_key(GroupId group,
                                                                    const std::string& sender,
                                                                    std::uint32_t device);
  Status save_received_sender_key(GroupId group, const std::string& sender, std::uint32_t device,
                                  const ReceivedSenderKey& key);
  // This device's key for `group`: made at first use, rotated when someone was removed or
  // left since it was made or anyone holding it is not in `to`; saved.
  Result<crypto::SenderKeyDistribution> current_sender_key(GroupId group,
                                                           const GroupRecipients& to);
  // Sends the current key to every member of `to` who lacks it, each over a 1:1 ratchet
  // session (a member without one stops the send).
  asio::awaitable<Status> distribute_sender_key(GroupId group, const GroupRecipients& to,
                                                bool& to_changed_key);
  // The group body: `content` under this device's key, the advanced chain committed first.
  Result<std::string> seal_with_sender_key(GroupId group, const wire::Content& content);
  // A group item under a sender key. kNotFound when the sender's key is not here (yet):
  // the caller keeps the item. Writes the advanced state in the caller's transaction.
  Result<wire::Content> open_sender_key_item(const wire::InboxMessage& item,
                                             const std::string& sender);
  // A sender key that came over the 1:1 session with `sender`'s `sender_device`, stored
  // in the caller's transaction.
  Status take_sender_key(const std::string& sender, std::uint32_t sender_device,
                         const wire::SenderKeyContent& key);
  // Before a group item's transaction: its sender must be a member of the verified chain
  // (fetched when the stored head does not list it). kCrypto when it is not.
  asio::awaitable<Status> check_group_sender(GroupId group, const std::string& sender);
  // Once a sender key committed: refused (deleted) when the verified chain says the sender
  // is no member; otherwise the group messages kept for it are opened and reported.
  asio::awaitable<void> accept_sender_key(const std::string& sender, GroupId group,
                                          std::uint64_t membership_seq);

  // A message this user sent, into the local history (a failure is only logged: it
  // was sent).
  void store_sent(const ChatMessage& message);
  // on_file_progress for a chunk of `file` sent to `peer` or `group`.
  void report_sent_progress(const OutgoingFile& file, std::uint32_t index, const std::string& peer,
                            GroupId group);
};

}  // namespace fastchat::client
