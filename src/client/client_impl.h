// Client::Impl, the state behind the Client facade (client/client.h), split over
// client_*.cpp by job: account and connection (client_session.cpp), inbox delivery
// (client_inbox.cpp), sending (client_send.cpp), directory and groups
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
#include "client/files.h"
#include "client/history_store.h"
#include "client/home.h"
#include "client/inbox_cursor.h"
#include "crypto/identity.h"
#include "crypto/login_proof.h"
#include "crypto/membership.h"
#include "crypto/secret.h"
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

  // --- delivery receipts (client_receipts.cpp)
  static constexpr std::size_t kMaxReceiptIds = 256;        // per receipt message
  static constexpr std::size_t kMaxPendingReceipts = 4096;  // beyond: not sent
  // A message from `sender` was stored: a receipt is due (none for one's own).
  void queue_receipt(const std::string& sender, const MessageId& id);
  // Sends the queued receipts, best effort; those that meet a broken connection wait
  // for the next call.
  asio::awaitable<void> send_receipts();
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

  asio::any_io_executor executor_;
  ClientConfig config_;
  HomeLayout home_;
  ClientEvents events_;

  // The logged-in user (empty when none) and what keeps the session.
  std::string username_;
  crypto::SecretBytes token_;
  crypto::SecretBytes data_key_;
  std::unique_ptr<crypto::Identity> identity_;
  std::unique_ptr<HistoryStore> history_;
  std::unique_ptr<ContactBook> contacts_;
  std::unique_ptr<FileAssembler> files_;
  InboxCursor cursor_;
  // persist=false: identities of users registered by this Client, for a later login.
  std::unordered_map<std::string, crypto::SecretBytes> memory_keys_;
  // The device key the session is bound to; persist=false: per user, in memory.
  crypto::LoginKey device_key_;
  std::unordered_map<std::string, crypto::SecretBytes> memory_device_seeds_;

  // TLS for every connection (null: plaintext, or tls_status_ says why not).
  std::shared_ptr<const tls::ClientTls> tls_;
  std::shared_ptr<tls::ServerTrust> trust_;
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
  // Writes the session file (token and keystore data key) when persisting.
  void save_session_file_now();
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
  // `key_changed`: set when it opened only with the sender's pending changed key.
  asio::awaitable<Result<wire::Content>> open_item(const wire::InboxMessage& item,
                                                   const std::string& sender, bool& key_changed);
  asio::awaitable<void> save_and_ack();
  // Verifies a group's new membership records before showing a message of it: once a
  // run, and again when the sender's chain (Content.membership_seq) is ahead of ours.
  asio::awaitable<void> catch_up_membership(GroupId group, std::uint64_t sender_seq);
  // on_file_progress for a chunk of a file still incomplete.
  void report_file_progress(const std::string& sender, const wire::FileChunk& chunk);

  // client_receipts.cpp
  asio::awaitable<Status> send_receipt(const std::string& to, const std::vector<MessageId>& ids);
  // A receipt from `sender`: records and reports the deliveries it confirms.
  void take_receipt(const std::string& sender, const wire::DeliveryReceipt& receipt);

  // client_send.cpp
  asio::awaitable<Result<wire::SendOk>> send_with_retry(const wire::Frame& frame);
  asio::awaitable<Result<const Contact*>> contact(const std::string& username);
  // The key to seal to `username` with (ContactBook::sending_key).
  asio::awaitable<Result<const crypto::SharedKey*>> sending_key(const std::string& username);
  // Whether the server serves a changed key for `username` that the user has not accepted.
  bool changed_key(const std::string& username) const;
};

}  // namespace fastchat::client
