#include "chat_session.h"

#include <algorithm>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/signal_set.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <clocale>
#include <csignal>
#include <cstdlib>

#include "actions.h"
#include "chat_input.h"
#include "format.h"
#include "group_directory.h"
#include "line_editor.h"
#include "message_printer.h"
#include "output.h"
#include "scoped_events.h"
#include "trust_notice.h"

namespace fastchat::cli {
namespace {

using namespace asio::experimental::awaitable_operators;

constexpr std::size_t kChatHistoryLimit = 20;

constexpr std::string_view kHelp =
    "Type a line to send it to the current conversation. Commands:\n"
    "  /to USER | /to #GROUP        talk to a user or a group (/to alone: show it)\n"
    "  /msg USER TEXT               send to a user without switching\n"
    "  /file [USER] PATH            send a file (to the current conversation, user or\n"
    "                               group, if USER is omitted)\n"
    "  /history [USER|#GROUP] [N]   last N messages (default: current conversation, 20)\n"
    "  /users [PATTERN]             list users\n"
    "  /group create NAME [MEMBER...] | add GROUP USER | remove GROUP USER\n"
    "  /group leave GROUP | send GROUP TEXT | send-file GROUP PATH | list | members GROUP\n"
    "  /who                         who you are, whom you talk to, connection state\n"
    "  /logout                      log out and quit\n"
    "  /quit                        quit (also ^D)\n"
    "A line starting with // sends a message that starts with /.";

class ChatSession {
 public:
  ChatSession(asio::any_io_executor executor, client::Client& client, const GlobalOptions& options)
      : client_(client),
        options_(options),
        editor_(executor),
        out_(false, [this](std::string_view line) { editor_.print(line); }),
        groups_(client),
        actions_(client, out_, groups_),
        printer_(executor, client, out_, groups_) {
    actions_.show_sent_as_messages(true);
  }

  asio::awaitable<Status> run();

 private:
  asio::awaitable<void> run_client();
  asio::awaitable<void> read_lines();
  asio::awaitable<void> watch_signals(asio::signal_set& signals);
  asio::awaitable<void> watch_terminal(asio::signal_set& signals);
  asio::awaitable<void> handle(const std::string& line);
  asio::awaitable<Status> handle_command(const std::string& name, std::string_view args);
  asio::awaitable<Status> handle_group(std::string_view args);
  asio::awaitable<Status> set_target(std::string_view text);
  asio::awaitable<Status> send_to_target(const std::string& text);
  void quit();
  void show_error(const Status& status, std::string_view context = {});
  void update_prompt();
  std::string target_label() const;

  client::Client& client_;
  const GlobalOptions& options_;
  LineEditor editor_;
  Output out_;
  GroupDirectory groups_;
  Actions actions_;
  MessagePrinter printer_;
  ChatTarget target_;
  GroupId target_group_ = 0;
  bool quitting_ = false;
  Status exit_status_;
  asio::signal_set* signals_ = nullptr;
  asio::signal_set* terminal_signals_ = nullptr;
};

void ChatSession::show_error(const Status& status, std::string_view context) {
  std::string line = "! ";
  if (!context.empty()) line += std::string(context) + ": ";
  line += describe(status);
  editor_.print(line);
}

std::string ChatSession::target_label() const {
  switch (target_.kind) {
    case ChatTarget::kUser:
      return sanitize_for_terminal(target_.name);
    case ChatTarget::kGroup:
      return group_label(target_group_, target_.name);
    case ChatTarget::kNone:
      break;
  }
  return {};
}

void ChatSession::update_prompt() {
  const std::string label = target_label();
  editor_.set_prompt(label.empty() ? "> " : label + "> ");
}

void ChatSession::quit() {
  if (quitting_) return;
  quitting_ = true;
  editor_.stop();
  client_.stop();
  if (signals_ != nullptr) signals_->cancel();
  if (terminal_signals_ != nullptr) terminal_signals_->cancel();
}

asio::awaitable<Status> ChatSession::run() {
  auto executor = co_await asio::this_coro::executor;
  client::ClientEvents events;
  events.on_message = [this](const client::ChatMessage& m) { printer_.push(m); };
  events.on_connection = [this](bool connected) {
    if (!quitting_)
      editor_.print(connected ? "*** connected" : "*** connection lost; reconnecting");
  };
  events.on_identity_changed = [this](std::string_view user, std::string_view fingerprint) {
    editor_.print("!!! " + identity_changed_line(user, fingerprint, false).substr(10));
  };
  events.on_undecryptable = [this](const client::UndecryptableMessage& m) {
    editor_.print("!!! " + undecryptable_line(m, false).substr(10));
  };
  events.on_presence = [this](const client::UserInfo& user) {
    editor_.print("*** " + sanitize_for_terminal(user.username) +
                  (user.online ? " is online" : " went offline"));
  };
  events.on_membership = [this](const client::MembershipEvent& e) {
    editor_.print("*** " + membership_text(e));
  };
  const ScopedEvents scoped_events(client_, std::move(events));
  editor_.set_erase_submitted(
      [](std::string_view line) { return parse_chat_input(line).kind == ChatInput::kText; });

  editor_.print("fastchat: logged in as " + sanitize_for_terminal(client_.username()) + " on " +
                options_.server + ". Type /help for commands, /to USER to start.");
  if (auto synced = co_await client_.sync(); !synced) show_error(synced.status(), "sync");

  asio::signal_set signals(executor, SIGINT, SIGTERM, SIGHUP);
  asio::signal_set terminal_signals(executor, SIGWINCH, SIGTSTP);
  signals_ = &signals;
  terminal_signals_ = &terminal_signals;
  co_await (run_client() && printer_.run() && editor_.run() && read_lines() &&
            watch_signals(signals) && watch_terminal(terminal_signals));
  signals_ = nullptr;
  terminal_signals_ = nullptr;
  co_await printer_.drain();
  co_return exit_status_;
}

asio::awaitable<void> ChatSession::run_client() {
  co_await client_.run();
  printer_.stop();
  if (!quitting_) {
    editor_.print("*** disconnected");
    quit();
  }
}

asio::awaitable<void> ChatSession::watch_signals(asio::signal_set& signals) {
  auto [ec, number] =
      co_await signals.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  if (!ec) quit();
}

asio::awaitable<void> ChatSession::watch_terminal(asio::signal_set& signals) {
  for (;;) {
    auto [ec, number] =
        co_await signals.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    if (ec || quitting_) co_return;
    if (number == SIGWINCH) editor_.resize();
    if (number == SIGTSTP) editor_.suspend();
  }
}

asio::awaitable<void> ChatSession::read_lines() {
  while (auto line = co_await editor_.next_line()) {
    co_await handle(*line);
    if (quitting_) break;
  }
  quit();
}

asio::awaitable<void> ChatSession::handle(const std::string& line) {
  const ChatInput input = parse_chat_input(line);
  if (input.kind == ChatInput::kEmpty) co_return;
  if (input.kind == ChatInput::kText) {
    if (auto status = co_await send_to_target(input.text); !status) {
      show_error(status, "not sent \"" + sanitize_for_terminal(input.text) + "\"");
    }
    co_return;
  }
  if (auto status = co_await handle_command(input.command, input.arguments); !status) {
    show_error(status);
  }
}

asio::awaitable<Status> ChatSession::send_to_target(const std::string& text) {
  switch (target_.kind) {
    case ChatTarget::kUser:
      co_return co_await actions_.send(target_.name, text);
    case ChatTarget::kGroup:
      co_return co_await actions_.send_group(target_group_, text);
    case ChatTarget::kNone:
      break;
  }
  co_return Status(Code::kBadRequest, "no conversation: choose one with /to USER or /to #GROUP");
}

asio::awaitable<Status> ChatSession::set_target(std::string_view text) {
  const ChatTarget target = parse_target(text);
  if (target.kind == ChatTarget::kNone) {
    const std::string label = target_label();
    editor_.print(label.empty() ? "no conversation; /to USER or /to #GROUP"
                                : "talking to " + label);
    co_return Status::ok();
  }
  if (target.kind == ChatTarget::kGroup) {
    auto id = co_await groups_.resolve(target.name);
    if (!id) co_return id.status();
    std::string name = co_await groups_.name(*id);
    target_ = {ChatTarget::kGroup, name.empty() ? target.name : name};
    target_group_ = *id;
    editor_.print("talking to " + target_label());
  } else {
    auto users = co_await client_.list_users(target.name);
    if (!users) co_return users.status();
    const auto it = std::find_if(users->begin(), users->end(), [&](const client::UserInfo& u) {
      return u.username == target.name;
    });
    if (it == users->end()) co_return Status(Code::kUnknownUser, target.name);
    target_ = target;
    target_group_ = 0;
    editor_.print("talking to " + sanitize_for_terminal(it->username) +
                  (it->online ? " (online)" : " (offline)"));
  }
  update_prompt();
  co_return Status::ok();
}

asio::awaitable<Status> ChatSession::handle_group(std::string_view args) {
  const std::string sub(take_word(args));
  if (sub == "list") co_return co_await actions_.group_list();
  if (sub == "create") {
    const std::string name(take_word(args));
    if (name.empty()) co_return Status(Code::kBadRequest, "usage: /group create NAME [MEMBER...]");
    std::vector<std::string> members;
    for (auto word = take_word(args); !word.empty(); word = take_word(args)) {
      members.emplace_back(word);
    }
    co_return co_await actions_.group_create(name, std::move(members));
  }
  const std::string group(take_word(args));
  if (group.empty()) {
    co_return Status(
        Code::kBadRequest,
        "usage: /group create|add|remove|leave|send|send-file|list|members ... (see /help)");
  }
  if (sub == "leave") co_return co_await actions_.group_leave(group);
  if (sub == "members") co_return co_await actions_.group_members(group);
  if (sub == "send") {
    if (trim(args).empty()) co_return Status(Code::kBadRequest, "usage: /group send GROUP TEXT");
    co_return co_await actions_.send_group(group, args);
  }
  if (sub == "send-file") {
    const std::string path(trim(args));
    if (path.empty()) co_return Status(Code::kBadRequest, "usage: /group send-file GROUP PATH");
    co_return co_await actions_.send_group_file(group, path);
  }
  const std::string user(take_word(args));
  if (user.empty()) co_return Status(Code::kBadRequest, "usage: /group " + sub + " GROUP USER");
  if (sub == "add") co_return co_await actions_.group_add(group, user);
  if (sub == "remove") co_return co_await actions_.group_remove(group, user);
  co_return Status(Code::kBadRequest, "unknown /group command '" + sub + "' (see /help)");
}

asio::awaitable<Status> ChatSession::handle_command(const std::string& name,
                                                    std::string_view args) {
  if (name == "quit" || name == "exit" || name == "q") {
    quit();
    co_return Status::ok();
  }
  if (name == "help" || name == "?") {
    editor_.print(kHelp);
    co_return Status::ok();
  }
  if (name == "to") co_return co_await set_target(args);
  if (name == "msg" || name == "m" || name == "send") {
    const std::string user(take_word(args));
    if (user.empty() || trim(args).empty()) {
      co_return Status(Code::kBadRequest, "usage: /msg USER TEXT");
    }
    co_return co_await actions_.send(user, args);
  }
  if (name == "file") {
    std::string_view rest = args;
    const std::string first(take_word(rest));
    if (first.empty()) co_return Status(Code::kBadRequest, "usage: /file [USER] PATH");
    if (const std::string path(trim(rest)); !path.empty()) {
      co_return co_await actions_.send_file(first, path);
    }
    switch (target_.kind) {
      case ChatTarget::kUser:
        co_return co_await actions_.send_file(target_.name, first);
      case ChatTarget::kGroup:
        co_return co_await actions_.send_group_file(target_group_, first);
      case ChatTarget::kNone:
        break;
    }
    co_return Status(Code::kBadRequest, "usage: /file USER PATH (or /to a user or #group first)");
  }
  if (name == "history") {
    std::string peer(take_word(args));
    std::size_t limit = kChatHistoryLimit;
    if (const std::string n(take_word(args)); !n.empty()) {
      char* end = nullptr;
      const unsigned long value = std::strtoul(n.c_str(), &end, 10);
      if (*end != '\0' || value == 0)
        co_return Status(Code::kBadRequest, "usage: /history [PEER] [N]");
      limit = value;
    }
    if (peer.empty()) {
      if (target_.kind == ChatTarget::kNone) {
        co_return Status(Code::kBadRequest, "usage: /history USER|#GROUP [N]");
      }
      peer =
          target_.kind == ChatTarget::kGroup ? "#" + std::to_string(target_group_) : target_.name;
    }
    co_return co_await actions_.history(peer, limit);
  }
  if (name == "users") co_return co_await actions_.users(trim(args));
  if (name == "who" || name == "whoami") {
    const std::string label = target_label();
    editor_.print(sanitize_for_terminal(client_.username()) + " on " + options_.server +
                  (client_.connected() ? " (connected)" : " (reconnecting)") +
                  (label.empty() ? "" : ", talking to " + label));
    co_return Status::ok();
  }
  if (name == "group" || name == "g") co_return co_await handle_group(args);
  if (name == "logout") {
    Status status = co_await client_.logout();
    if (status) {
      editor_.print("logged out");
      quit();
    }
    co_return status;
  }
  co_return Status(Code::kBadRequest, "unknown command /" + name + " (see /help)");
}

}  // namespace

asio::awaitable<Status> run_chat(client::Client& client, const GlobalOptions& options) {
  if (options.json) co_return Status(Code::kBadRequest, "chat has no --json mode");
  std::setlocale(LC_CTYPE, "");  // libedit and the width of wide characters need it
  ChatSession session(co_await asio::this_coro::executor, client, options);
  co_return co_await session.run();
}

}  // namespace fastchat::cli
