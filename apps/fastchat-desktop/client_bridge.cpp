#include "client_bridge.h"

#include <spdlog/spdlog.h>

#include <QSysInfo>
#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <exception>
#include <future>
#include <thread>

#include "client/home.h"
#include "common/username.h"
#include "crypto/safety_number.h"
#include "tls/known_hosts.h"

namespace fastchat::desktop {
namespace {

QString q(const std::string& s) {
  return QString::fromStdString(s);
}

QString describe(const Status& status) {
  const bool explains_itself = status.code() == Code::kBadRequest && !status.message().empty();
  return q(explains_itself ? status.message() : status.to_string());
}

// A login; but for the saved session's own user, locked at a restart (its data key
// left the kernel keyring), the password unlocks that session and it goes on.
asio::awaitable<Status> unlock_or_login(client::Client& c, const std::string& home,
                                        const std::string& username, const std::string& password) {
  const auto canonical = normalize_username(username);
  if (canonical && client::Client::saved_user(home) == *canonical) {
    const Status unlocked = co_await c.unlock(password);
    if (unlocked) {
      const Status resumed = co_await c.resume();
      if (resumed) co_return resumed;
    }
  }
  const Status logged_in = co_await c.login(username, password);
  co_return logged_in;
}

// Overwrites a password before its memory is released.
void wipe(std::string& secret) {
  volatile char* p = secret.data();
  for (std::size_t i = 0; i < secret.size(); ++i)
    p[i] = 0;
  secret.clear();
}

void wipe(QString& secret) {
  secret.fill(QChar(u'\0'));
  secret.clear();
}

}  // namespace

struct ClientBridge::State {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  // Everything below belongs to the client thread.
  std::unique_ptr<client::Client> client;
  std::string server;
  int active = 0;  // coroutines started by spawn() and not finished
  bool running = false;
  bool signing_out = false;  // signed_out is due when run() returns
  bool stopping = false;
  bool finished = false;
  std::promise<void> stopped;
  std::thread thread;
};

ClientBridge::ClientBridge(QString home_dir, Transport transport, QObject* parent)
    : QObject(parent),
      home_dir_(std::move(home_dir)),
      transport_(std::move(transport)),
      state_(std::make_unique<State>()) {
  qRegisterMetaType<ServerCheck>();
  qRegisterMetaType<ConversationKey>();
  qRegisterMetaType<client::ChatMessage>();
  qRegisterMetaType<client::FileProgress>();
  qRegisterMetaType<client::GroupInfo>();
  qRegisterMetaType<MessageList>();
  qRegisterMetaType<UserList>();
  qRegisterMetaType<GroupList>();
  connect(this, &ClientBridge::signed_in, this, [this](const QString& user) { username_ = user; });
  connect(this, &ClientBridge::signed_out, this, [this] { username_.clear(); });
  state_->thread = std::thread([io = &state_->io] { io->run(); });
}

ClientBridge::~ClientBridge() {
  State& s = *state_;
  auto stopped = s.stopped.get_future();
  asio::post(s.io, [this] {
    state_->stopping = true;
    if (state_->client) state_->client->stop();
    finish_if_stopped();
  });
  if (stopped.wait_for(kStopTimeout) != std::future_status::ready) {
    spdlog::warn("the client did not stop within {} s; abandoning it", kStopTimeout.count());
    s.io.stop();
    s.thread.join();
    // Coroutines still suspended inside the Client are destroyed with the io_context;
    // the Client itself must outlive them, so it is deliberately leaked on this path.
    [[maybe_unused]] auto* leaked = s.client.release();
    return;
  }
  s.thread.join();
}

void ClientBridge::finish_if_stopped() {
  State& s = *state_;
  if (!s.stopping || s.finished || s.active > 0) return;
  s.finished = true;
  s.client.reset();
  s.work.reset();
  s.stopped.set_value();
}

QString ClientBridge::saved_user() const {
  return q(client::Client::saved_user(home_dir_.toStdString()));
}

void ClientBridge::spawn(asio::awaitable<void> body, const char* what) {
  asio::co_spawn(state_->io, tracked(std::move(body), what), asio::detached);
}

asio::awaitable<void> ClientBridge::tracked(asio::awaitable<void> body, std::string what) {
  State& s = *state_;
  ++s.active;
  std::string error;
  if (s.stopping) {
    error = "shutting down";
  } else {
    try {
      co_await std::move(body);
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  if (!error.empty() && !s.stopping) {
    spdlog::error("{}: {}", what, error);
    emit failed(q(what), q(error));
  }
  --s.active;
  finish_if_stopped();
}

bool ClientBridge::make_client(const std::string& server) {
  State& s = *state_;
  if (s.client && !s.client->username().empty()) {
    emit sign_in_failed(QStringLiteral("already signed in as ") + q(s.client->username()));
    return false;
  }
  if (s.running) {
    emit sign_in_failed(QStringLiteral("still signing out; try again"));
    return false;
  }
  auto endpoint = client::parse_endpoint(server);
  if (!endpoint) {
    emit sign_in_failed(QStringLiteral("server address: ") + q(endpoint.status().message()));
    return false;
  }
  client::ClientConfig config;
  config.server = *endpoint;
  config.home_dir = home_dir_.toStdString();
  config.client_name = "fastchat-desktop";
  config.device_name = "fastchat-desktop on " + QSysInfo::machineHostName().toStdString();
  config.ca_file = transport_.ca_file.toStdString();
  config.insecure_plaintext = transport_.insecure_plaintext;
  s.client = std::make_unique<client::Client>(s.io.get_executor(), std::move(config));
  s.server = server;
  client::ClientEvents events;
  events.on_message = [this](const client::ChatMessage& m) { emit message_received(m); };
  events.on_presence = [this](const client::UserInfo& user) {
    emit presence_changed(q(user.username), user.online);
  };
  events.on_identity_changed = [this](std::string_view user, std::string_view fingerprint) {
    emit identity_changed(q(std::string(user)), q(std::string(fingerprint)));
  };
  events.on_connection = [this](bool connected) { emit connection_changed(connected); };
  events.on_file_progress = [this](const client::FileProgress& p) { emit file_progress(p); };
  events.on_delivered = [this](const MessageId& id, std::string_view recipient) {
    emit delivered(q(id.to_hex()), q(std::string(recipient)));
  };
  s.client->set_events(std::move(events));
  return true;
}

void ClientBridge::start_running() {
  if (state_->running) return;
  state_->running = true;
  spawn(do_run(), "run");
}

asio::awaitable<void> ClientBridge::do_run() {
  State& s = *state_;
  co_await s.client->run();
  s.running = false;
  if (s.stopping) co_return;
  if (s.signing_out) {
    s.signing_out = false;
    emit signed_out();
    co_return;
  }
  emit connection_changed(false);
}

// --- the server's key

void ClientBridge::check_server(const QString& server) {
  spawn(do_check_server(server), "check the server");
}

asio::awaitable<void> ClientBridge::do_check_server(QString server) {
  ServerCheck check;
  check.server = server;
  auto endpoint = client::parse_endpoint(server.toStdString());
  if (!endpoint) {
    check.error = QStringLiteral("server address: ") + q(endpoint.status().message());
    emit server_checked(check);
    co_return;
  }
  const std::string address = endpoint->host + ":" + std::to_string(endpoint->port);
  if (transport_.insecure_plaintext) {
    check.verdict = ServerCheck::Verdict::kTrusted;  // asked for: nothing to check
    check.address = q(address);
    emit server_checked(check);
    co_return;
  }
  auto key = co_await client::probe_server_key(state_->io.get_executor(), endpoint->host,
                                               endpoint->port, transport_.ca_file.toStdString());
  if (!key) {
    check.address = q(address);
    check.error = describe(key.status());
    emit server_checked(check);
    co_return;
  }
  check = judge_server_key(*key, address, client::HomeLayout(home_dir_.toStdString()).known_hosts(),
                           !transport_.ca_file.isEmpty());
  check.server = server;
  emit server_checked(check);
}

void ClientBridge::trust_server(const QString& server, const QString& fingerprint) {
  auto endpoint = client::parse_endpoint(server.toStdString());
  if (!endpoint) {
    emit failed(QStringLiteral("trust the server"), q(endpoint.status().message()));
    return;
  }
  const std::string address = endpoint->host + ":" + std::to_string(endpoint->port);
  const Status saved = tls::save_pin(client::HomeLayout(home_dir_.toStdString()).known_hosts(),
                                     address, fingerprint.toStdString());
  if (!saved) {
    emit failed(QStringLiteral("trust the server"), describe(saved));
    return;
  }
  emit server_trusted(server);
}

// --- account

void ClientBridge::sign_in(const QString& server, const QString& username, QString password,
                           bool create_account) {
  std::string secret = password.toStdString();
  wipe(password);
  spawn(do_sign_in(server.toStdString(), username.toStdString(), std::move(secret), create_account),
        "sign in");
}

asio::awaitable<void> ClientBridge::do_sign_in(std::string server, std::string username,
                                               std::string password, bool create_account) {
  if (!make_client(server)) {
    wipe(password);
    co_return;
  }
  client::Client& c = *state_->client;
  const std::string home = home_dir_.toStdString();
  // if/else, not ?: around co_await (g++ 12 temporaries, docs/decisions.md).
  Status status;
  if (create_account) {
    status = co_await c.register_account(username, password);
  } else {
    status = co_await unlock_or_login(c, home, username, password);
  }
  wipe(password);
  if (!status) {
    emit sign_in_failed(describe(status));
    co_return;
  }
  start_running();
  emit signed_in(q(c.username()));
}

void ClientBridge::resume(const QString& server) {
  spawn(do_resume(server.toStdString()), "resume");
}

asio::awaitable<void> ClientBridge::do_resume(std::string server) {
  if (!make_client(server)) co_return;
  client::Client& c = *state_->client;
  const Status status = co_await c.resume();
  if (!status) {
    emit sign_in_failed(describe(status));
    co_return;
  }
  start_running();
  emit signed_in(q(c.username()));
}

void ClientBridge::sign_out() {
  spawn(do_sign_out(), "sign out");
}

asio::awaitable<void> ClientBridge::do_sign_out() {
  State& s = *state_;
  if (!s.client) co_return;
  const Status status = co_await s.client->logout();
  if (!status) emit failed(QStringLiteral("sign out"), describe(status));
  if (s.running) {
    s.signing_out = true;  // do_run() reports it once the client stopped
    s.client->stop();
  } else {
    emit signed_out();
  }
}

// --- messages

quint64 ClientBridge::send_text(const ConversationKey& to, const QString& text) {
  const quint64 tag = next_tag_++;
  spawn(do_send_text(tag, to, text.toStdString()), "send");
  return tag;
}

asio::awaitable<void> ClientBridge::do_send_text(quint64 tag, ConversationKey to,
                                                 std::string text) {
  State& s = *state_;
  if (!s.client) {
    emit send_failed(tag, QStringLiteral("not signed in"));
    co_return;
  }
  Result<client::ChatMessage> sent(Status(Code::kInternal, "not sent"));
  if (to.is_group()) {
    sent = co_await s.client->send_group_text(to.group, text);
  } else {
    sent = co_await s.client->send_text(to.peer.toStdString(), text);
  }
  if (!sent) {
    emit send_failed(tag, describe(sent.status()));
    co_return;
  }
  emit message_sent(tag, *sent);
}

quint64 ClientBridge::send_file(const ConversationKey& to, const QString& path) {
  const quint64 tag = next_tag_++;
  spawn(do_send_file(tag, to, path.toStdString()), "send file");
  return tag;
}

asio::awaitable<void> ClientBridge::do_send_file(quint64 tag, ConversationKey to,
                                                 std::string path) {
  State& s = *state_;
  if (!s.client) {
    emit send_failed(tag, QStringLiteral("not signed in"));
    co_return;
  }
  Result<client::ChatMessage> sent(Status(Code::kInternal, "not sent"));
  if (to.is_group()) {
    sent = co_await s.client->send_group_file(to.group, path);
  } else {
    sent = co_await s.client->send_file(to.peer.toStdString(), path);
  }
  if (!sent) {
    emit send_failed(tag, describe(sent.status()));
    co_return;
  }
  emit message_sent(tag, *sent);
}

void ClientBridge::load_conversations() {
  spawn(do_load_conversations(), "load conversations");
}

asio::awaitable<void> ClientBridge::do_load_conversations() {
  State& s = *state_;
  if (!s.client) co_return;
  auto latest = s.client->conversations(0);
  if (!latest) {
    emit failed(QStringLiteral("load conversations"), describe(latest.status()));
    co_return;
  }
  emit conversations_loaded(*latest);
}

void ClientBridge::load_history(const ConversationKey& key, int limit, int skip_newest) {
  spawn(do_load_history(key, limit, skip_newest), "load history");
}

asio::awaitable<void> ClientBridge::do_load_history(ConversationKey key, int limit,
                                                    int skip_newest) {
  State& s = *state_;
  if (!s.client) co_return;
  auto page = s.client->history(key.peer.toStdString(), key.group,
                                static_cast<std::size_t>(std::max(1, limit)),
                                static_cast<std::size_t>(std::max(0, skip_newest)));
  if (!page) {
    emit failed(QStringLiteral("load history"), describe(page.status()));
    co_return;
  }
  emit history_loaded(key, skip_newest, *page);
}

// --- directory, identity, groups

void ClientBridge::list_users(const QString& pattern) {
  spawn(do_list_users(pattern), "list users");
}

asio::awaitable<void> ClientBridge::do_list_users(QString pattern) {
  State& s = *state_;
  if (!s.client) co_return;
  auto users = co_await s.client->list_users(pattern.toStdString());
  if (!users) {
    emit failed(QStringLiteral("list users"), describe(users.status()));
    co_return;
  }
  emit users_listed(pattern, *users);
}

void ClientBridge::watch_presence(const QStringList& users) {
  std::vector<std::string> names;
  for (const auto& user : users)
    names.push_back(user.toStdString());
  spawn(do_watch_presence(std::move(names)), "watch presence");
}

asio::awaitable<void> ClientBridge::do_watch_presence(std::vector<std::string> users) {
  State& s = *state_;
  if (!s.client || users.empty()) co_return;
  auto watched = co_await s.client->watch_presence(std::move(users));
  if (!watched) co_return;  // presence is a nicety; the next reconnect watches again
  for (const auto& user : *watched)
    emit presence_changed(q(user.username), user.online);
}

void ClientBridge::request_fingerprint(const QString& user) {
  spawn(do_fingerprint(user.toStdString()), "fingerprint");
}

asio::awaitable<void> ClientBridge::do_fingerprint(std::string user) {
  State& s = *state_;
  if (!s.client) co_return;
  // The safety number (what the two users compare) and whether it was verified.
  auto trust = co_await s.client->contact_trust(user);
  if (!trust) {
    emit failed(QStringLiteral("safety number of ") + q(user), describe(trust.status()));
    co_return;
  }
  if (trust->key_changed) emit identity_changed(q(user), q(trust->new_fingerprint));
  emit fingerprint_ready(q(user), q(crypto::format_safety_number(trust->safety_number) +
                                    (trust->verified ? " (verified)" : " (not verified)")));
}

void ClientBridge::create_group(const QString& name, const QStringList& members) {
  std::vector<std::string> names;
  for (const auto& member : members)
    names.push_back(member.toStdString());
  spawn(do_create_group(name.toStdString(), std::move(names)), "create group");
}

asio::awaitable<void> ClientBridge::do_create_group(std::string name,
                                                    std::vector<std::string> members) {
  State& s = *state_;
  if (!s.client) co_return;
  auto group = co_await s.client->create_group(name, std::move(members));
  if (!group) {
    emit failed(QStringLiteral("create group"), describe(group.status()));
    co_return;
  }
  emit group_updated(*group);
}

void ClientBridge::add_member(quint64 group, const QString& user) {
  spawn(do_change_member(group, user.toStdString(), true), "add member");
}

void ClientBridge::remove_member(quint64 group, const QString& user) {
  spawn(do_change_member(group, user.toStdString(), false), "remove member");
}

asio::awaitable<void> ClientBridge::do_change_member(quint64 group, std::string user, bool add) {
  State& s = *state_;
  if (!s.client) co_return;
  Result<client::GroupInfo> updated(Status(Code::kInternal, "not changed"));
  if (add) {
    updated = co_await s.client->add_member(group, user);
  } else {
    updated = co_await s.client->remove_member(group, user);
  }
  if (!updated) {
    emit failed(add ? QStringLiteral("add member") : QStringLiteral("remove member"),
                describe(updated.status()));
    co_return;
  }
  emit group_updated(*updated);
}

void ClientBridge::leave_group(quint64 group) {
  spawn(do_leave_group(group), "leave group");
}

asio::awaitable<void> ClientBridge::do_leave_group(quint64 group) {
  State& s = *state_;
  if (!s.client) co_return;
  const Status status = co_await s.client->leave_group(group);
  if (!status) {
    emit failed(QStringLiteral("leave group"), describe(status));
    co_return;
  }
  emit group_left(group);
}

void ClientBridge::load_groups() {
  spawn(do_load_groups(), "load groups");
}

asio::awaitable<void> ClientBridge::do_load_groups() {
  State& s = *state_;
  if (!s.client) co_return;
  auto groups = co_await s.client->list_groups();
  if (!groups) {
    emit failed(QStringLiteral("load groups"), describe(groups.status()));
    co_return;
  }
  emit groups_loaded(*groups);
}

void ClientBridge::load_group(quint64 group) {
  spawn(do_load_group(group), "load group");
}

asio::awaitable<void> ClientBridge::do_load_group(quint64 group) {
  State& s = *state_;
  if (!s.client) co_return;
  auto info = co_await s.client->get_group(group);
  if (!info) {
    emit failed(QStringLiteral("load group"), describe(info.status()));
    co_return;
  }
  emit group_updated(*info);
}

}  // namespace fastchat::desktop
