// ClientBridge: the desktop's only door to the client core. It owns a thread with its
// own asio::io_context on which one fastchat::client::Client lives. Requests from the
// UI are started there as coroutines and return at once; answers and client events
// come back as signals, which Qt queues to the receivers' (UI) thread. The window
// therefore never waits for the network, Argon2id or the local history.
//
// Thread safety: call the public methods from the thread that made the bridge (the UI
// thread). Signals are emitted on the client thread: connect them with the default
// (auto) connection so they arrive queued. Destroying the bridge stops the client and
// joins its thread (waiting at most kStopTimeout for requests in flight).
#pragma once

#include <QObject>
#include <QString>
#include <QStringList>
#include <asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "conversation_key.h"
#include "server_check.h"

namespace fastchat::desktop {

// How to reach servers: --ca-file and --insecure-plaintext, as `fastchat` takes them.
struct BridgeTransport {
  QString ca_file;
  bool insecure_plaintext = false;
};

class ClientBridge : public QObject {
  Q_OBJECT

 public:
  static constexpr std::chrono::seconds kStopTimeout{5};

  using Transport = BridgeTransport;

  explicit ClientBridge(QString home_dir, Transport transport = {}, QObject* parent = nullptr);
  ~ClientBridge() override;

  const QString& home_dir() const { return home_dir_; }
  // The user of the session saved in the home dir, or empty. Reads one small file.
  QString saved_user() const;
  // The logged-in user as last reported by signed_in (UI thread's view).
  const QString& username() const { return username_; }

  const Transport& transport() const { return transport_; }

  // --- the server's key, before anything is sent to it (server_check.h): answers
  // with server_checked. trust_server pins `fingerprint` for `server` in
  // <home>/known_hosts (what `fastchat trust-server` does), then server_trusted.
  void check_server(const QString& server);
  void trust_server(const QString& server, const QString& fingerprint);

  // --- account. `password` is wiped from memory once used; it is never stored.
  void sign_in(const QString& server, const QString& username, QString password,
               bool create_account);
  // Logs in with the saved session (no password).
  void resume(const QString& server);
  void sign_out();

  // --- messages. Each send returns a tag that its message_sent/send_failed carries.
  quint64 send_text(const ConversationKey& to, const QString& text);
  quint64 send_file(const ConversationKey& to, const QString& path);
  void load_conversations();
  // Up to `limit` messages before the newest `skip_newest` (see Client::history).
  void load_history(const ConversationKey& key, int limit, int skip_newest);

  // --- directory, identity, groups
  void list_users(const QString& pattern);
  void watch_presence(const QStringList& users);
  void request_fingerprint(const QString& user);
  void create_group(const QString& name, const QStringList& members);
  void add_member(quint64 group, const QString& user);
  void remove_member(quint64 group, const QString& user);
  void leave_group(quint64 group);
  void load_groups();
  void load_group(quint64 group);

 signals:
  void server_checked(const fastchat::desktop::ServerCheck& check);
  void server_trusted(const QString& server);
  void signed_in(const QString& username);
  void sign_in_failed(const QString& error);
  void signed_out();
  void connection_changed(bool connected);
  void message_received(const fastchat::client::ChatMessage& message);
  void message_sent(quint64 tag, const fastchat::client::ChatMessage& message);
  void send_failed(quint64 tag, const QString& error);
  void file_progress(const fastchat::client::FileProgress& progress);
  // `recipient`'s client stored the message (id as hex) this user sent.
  void delivered(const QString& message_id, const QString& recipient);
  void presence_changed(const QString& user, bool online);
  void identity_changed(const QString& user, const QString& fingerprint);
  void conversations_loaded(const fastchat::desktop::MessageList& latest);
  void history_loaded(const fastchat::desktop::ConversationKey& key, int skip_newest,
                      const fastchat::desktop::MessageList& page);
  void users_listed(const QString& pattern, const fastchat::desktop::UserList& users);
  void fingerprint_ready(const QString& user, const QString& fingerprint);
  void group_updated(const fastchat::client::GroupInfo& group);
  void groups_loaded(const fastchat::desktop::GroupList& groups);
  void group_left(quint64 group);
  // A request other than sign-in or a send failed: what was tried, and why.
  void failed(const QString& action, const QString& error);

 private:
  struct State;

  // Runs `body` on the client thread, counted so shutdown can wait for it.
  void spawn(asio::awaitable<void> body, const char* what);
  asio::awaitable<void> tracked(asio::awaitable<void> body, std::string what);
  // Client thread: a Client for `server`, replacing one that is not signed in.
  bool make_client(const std::string& server);
  void start_running();
  void finish_if_stopped();

  asio::awaitable<void> do_check_server(QString server);
  asio::awaitable<void> do_sign_in(std::string server, std::string username, std::string password,
                                   bool create_account);
  asio::awaitable<void> do_resume(std::string server);
  asio::awaitable<void> do_sign_out();
  asio::awaitable<void> do_run();
  asio::awaitable<void> do_send_text(quint64 tag, ConversationKey to, std::string text);
  asio::awaitable<void> do_send_file(quint64 tag, ConversationKey to, std::string path);
  asio::awaitable<void> do_load_conversations();
  asio::awaitable<void> do_load_history(ConversationKey key, int limit, int skip_newest);
  asio::awaitable<void> do_list_users(QString pattern);
  asio::awaitable<void> do_watch_presence(std::vector<std::string> users);
  asio::awaitable<void> do_fingerprint(std::string user);
  asio::awaitable<void> do_create_group(std::string name, std::vector<std::string> members);
  asio::awaitable<void> do_change_member(quint64 group, std::string user, bool add);
  asio::awaitable<void> do_leave_group(quint64 group);
  asio::awaitable<void> do_load_groups();
  asio::awaitable<void> do_load_group(quint64 group);

  QString home_dir_;
  Transport transport_;
  QString username_;
  quint64 next_tag_ = 1;
  std::unique_ptr<State> state_;
};

}  // namespace fastchat::desktop
