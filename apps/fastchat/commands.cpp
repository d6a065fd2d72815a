#include "commands.h"

#include <asio/this_coro.hpp>
#include <optional>

#include "actions.h"
#include "chat_session.h"
#include "client/connection.h"
#include "client/home.h"
#include "common/username.h"
#include "format.h"
#include "group_directory.h"
#include "json.h"
#include "receive.h"
#include "scoped_events.h"
#include "session_commands.h"
#include "tls/known_hosts.h"
#include "trust_notice.h"

// g++ 12 miscompiles temporaries of class type (strings, vectors, closures with
// captures) inside a co_await expression: it may destroy them twice or copy them
// bitwise. Every such argument below is a named local first; keep it that way.

namespace fastchat::cli {
namespace {

Status check_username(std::string_view name) {
  if (normalize_username(name)) return Status::ok();
  return Status(Code::kInvalidUsername,
                "'" + sanitize_for_terminal(name) +
                    "' is not a valid username (1-32 characters of a-z 0-9 _ . -)");
}

std::string session_json(std::string_view command, std::string_view user) {
  return JsonObject().add("type", "ok").add("command", command).add("user", user).str();
}

asio::awaitable<Status> run_session_command(client::Client& client, const Invocation& invocation,
                                            const Output& out) {
  const Command& c = invocation.command;
  const auto& a = c.args;
  GroupDirectory groups(client);
  Actions actions(client, out, groups);
  // recv and chat show these warnings their own way.
  std::optional<ScopedEvents> warnings;
  if (c.name != "recv" && c.name != "chat") {
    warnings.emplace(client, warning_events(invocation.options.json));
  }

  if (c.name == "whoami") co_return co_await actions.whoami(invocation.options.server);
  if (c.name == "users") {
    const std::string_view pattern = a.empty() ? std::string_view() : std::string_view(a[0]);
    co_return co_await actions.users(pattern);
  }
  if (c.name == "send") co_return co_await actions.send(a[0], a[1]);
  if (c.name == "send-file") co_return co_await actions.send_file(a[0], a[1]);
  if (c.name == "recv") co_return co_await receive(client, out, groups, c.wait_seconds);
  if (c.name == "history") co_return co_await actions.history(a[0], c.limit);
  if (c.name == "chat") co_return co_await run_chat(client, invocation.options);
  if (c.name == "group create") {
    std::vector<std::string> members(a.begin() + 1, a.end());
    co_return co_await actions.group_create(a[0], std::move(members));
  }
  if (c.name == "group add") co_return co_await actions.group_add(a[0], a[1]);
  if (c.name == "group remove") co_return co_await actions.group_remove(a[0], a[1]);
  if (c.name == "group leave") co_return co_await actions.group_leave(a[0]);
  if (c.name == "group send") co_return co_await actions.send_group(a[0], a[1]);
  if (c.name == "group send-file") co_return co_await actions.send_group_file(a[0], a[1]);
  if (c.name == "group list") co_return co_await actions.group_list();
  if (c.name == "group members") co_return co_await actions.group_members(a[0]);
  if (c.name == "group show") co_return co_await actions.group_show(a[0]);
  if (c.name == "block") co_return co_await actions.block(a[0], true);
  if (c.name == "unblock") co_return co_await actions.block(a[0], false);
  if (c.name == "blocks") co_return co_await actions.blocks();
  if (c.name == "sessions") co_return co_await list_sessions(client, out);
  if (c.name == "sessions revoke") {
    const std::string id = a.empty() ? std::string() : a[0];
    co_return co_await revoke_sessions(client, out, id, c.all);
  }
  if (c.name == "verify") co_return co_await actions.verify(a[0], c.confirm, c.accept_new);
  co_return Status(Code::kInternal, "unhandled command " + c.name);
}

}  // namespace

bool needs_password(const Command& command) {
  return command.name == "register" || command.name == "login";
}

asio::awaitable<Status> resume_session(client::Client& client, const std::string& home_dir) {
  const std::string saved = client::Client::saved_user(home_dir);
  if (saved.empty()) co_return Status(Code::kNotAuthenticated, "run `fastchat login USER`");
  Status status = co_await client.resume();
  if (status.code() == Code::kKeysLocked) {
    co_return Status(Code::kKeysLocked, status.message() + ": run `fastchat unlock`");
  }
  if (status.code() == Code::kAuthFailed || status.code() == Code::kNotAuthenticated ||
      status.code() == Code::kSessionExpired) {
    co_return Status(Code::kNotAuthenticated, "the session of " + saved + " is no longer valid (" +
                                                  status.to_string() + "): run `fastchat login " +
                                                  saved + "`");
  }
  co_return status;
}

namespace {

// Pins ADDRESS to FINGERPRINT, or to the key the server presents now, in
// <home>/known_hosts (replacing a pin of a key that changed).
asio::awaitable<Status> trust_server(const Invocation& invocation, const Output& out) {
  const Command& c = invocation.command;
  auto endpoint = client::parse_endpoint(c.args.at(0));
  if (!endpoint) co_return Status(Code::kBadRequest, "ADDRESS: " + endpoint.status().message());
  // As the client core names addresses in known_hosts.
  const std::string address = endpoint->host + ":" + std::to_string(endpoint->port);
  std::string fingerprint = c.args.size() > 1 ? c.args[1] : std::string();
  if (fingerprint.empty()) {
    const auto executor = co_await asio::this_coro::executor;
    auto presented =
        co_await client::server_key_fingerprint(executor, endpoint->host, endpoint->port);
    if (!presented) co_return presented.status();
    fingerprint = *presented;
  } else if (!fingerprint.starts_with("SHA256:") || fingerprint.size() != 50) {
    co_return Status(Code::kBadRequest,
                     "FINGERPRINT looks like SHA256: and 43 characters of base64, as "
                     "fastchat-server --print-fingerprint prints it");
  }
  const std::string file = client::HomeLayout(invocation.options.home).known_hosts();
  if (Status s = tls::save_pin(file, address, fingerprint); !s) co_return s;
  out.emit("trusting " + address + " with key " + fingerprint, JsonObject()
                                                                   .add("type", "ok")
                                                                   .add("command", "trust-server")
                                                                   .add("server", address)
                                                                   .add("fingerprint", fingerprint)
                                                                   .str());
  co_return Status::ok();
}

}  // namespace

asio::awaitable<Status> run_command(client::Client& client, const Invocation& invocation,
                                    const Output& out, std::string password,
                                    std::string new_password) {
  const Command& c = invocation.command;
  if (c.name == "register" || c.name == "login") {
    const std::string& user = c.args.at(0);
    if (auto status = check_username(user); !status) co_return status;
    const bool is_register = c.name == "register";
    Status status;
    if (is_register) {
      status = co_await client.register_account(user, password);
    } else {
      status = co_await client.login(user, password);
    }
    if (!status) co_return status;
    const std::string name = client.username().empty() ? user : client.username();
    out.emit((is_register ? "registered and logged in as " : "logged in as ") +
                 sanitize_for_terminal(name),
             session_json(c.name, name));
    co_return Status::ok();
  }
  if (c.name == "trust-server") co_return co_await trust_server(invocation, out);
  if (c.name == "unlock") {
    if (auto status = co_await client.unlock(password); !status) co_return status;
    const std::string name = client::Client::saved_user(invocation.options.home);
    out.emit("unlocked " + sanitize_for_terminal(name), session_json("unlock", name));
    co_return Status::ok();
  }
  if (c.name == "chat" && invocation.options.json) {
    co_return Status(Code::kBadRequest, "chat has no --json mode");
  }
  if (c.name == "logout") {
    // Locked keys do not stop a logout: the client revokes the token without them.
    const std::string name = client::Client::saved_user(invocation.options.home);
    Status resumed = co_await resume_session(client, invocation.options.home);
    if (!resumed && resumed.code() != Code::kKeysLocked) co_return resumed;
    if (auto status = co_await client.logout(); !status) co_return status;
    out.emit("logged out " + sanitize_for_terminal(name), session_json("logout", name));
    co_return Status::ok();
  }
  if (auto status = co_await resume_session(client, invocation.options.home); !status) {
    co_return status;
  }
  if (c.name == "passwd") {
    if (auto status = co_await client.change_password(password, new_password); !status) {
      co_return status;
    }
    const std::string name = client.username();
    out.emit("changed the password of " + sanitize_for_terminal(name) +
                 "; your other sessions are logged out",
             session_json("passwd", name));
    co_return Status::ok();
  }
  co_return co_await run_session_command(client, invocation, out);
}

}  // namespace fastchat::cli
