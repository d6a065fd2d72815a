#include "command_line.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <optional>
#include <string_view>

#include "connection_options.h"
#include "exit_codes.h"
#include "home_dir.h"

#ifndef FASTCHAT_VERSION
#define FASTCHAT_VERSION "unknown"
#endif

namespace fastchat::cli {
namespace {

// A positional argument of a command.
struct Arg {
  enum Kind {
    kOne,          // exactly one word
    kOptionalOne,  // zero or one word
    kText,         // one or more words, joined with spaces
    kList,         // zero or more words
  };
  const char* name;
  const char* help;
  Kind kind = kOne;
};

// A number >= `min` (or > `min` when `exclusive`), with a short error message.
CLI::Validator number_at_least(double min, bool exclusive) {
  return CLI::Validator(
      [min, exclusive](std::string& text) -> std::string {
        double value;
        try {
          std::size_t used = 0;
          value = std::stod(text, &used);
          if (used != text.size()) return "'" + text + "' is not a number";
        } catch (const std::exception&) {
          return "'" + text + "' is not a number";
        }
        if (exclusive ? value > min : value >= min) return {};
        std::string bound = std::to_string(min);
        bound.erase(bound.find_last_not_of('0') + 1);
        if (bound.back() == '.') bound.pop_back();
        return (exclusive ? "must be more than " : "must be at least ") + bound;
      },
      "");
}

// Names of the commands, to tell an unknown command from a missing one.
constexpr std::array<std::string_view, 19> kCommands = {
    "register", "login",     "unlock", "logout",  "passwd", "whoami",       "users",
    "send",     "send-file", "recv",   "history", "chat",   "trust-server", "group",
    "sessions", "verify",    "block",  "unblock", "blocks"};

// Global options that take a value (the next argument is not a command).
bool takes_value(std::string_view option) {
  return option == "--server" || option == "--home" || option == "--timeout" ||
         option == "--log-level" || option == "--ca-file";
}

// The first argument that is neither an option nor an option's value, if any.
std::optional<std::string> first_word(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") return i + 1 < argc ? std::optional<std::string>(argv[i + 1]) : std::nullopt;
    if (arg.starts_with('-')) {
      if (takes_value(arg)) ++i;
      continue;
    }
    return std::string(arg);
  }
  return std::nullopt;
}

class Parser {
 public:
  explicit Parser(Invocation& out) : out_(out), app_("fastchat: end-to-end-encrypted chat") {
    auto& o = out_.options;
    app_.fallthrough();  // global options may also follow the command
    app_.require_subcommand(1);
    app_.set_version_flag("--version", std::string("fastchat ") + FASTCHAT_VERSION);
    add_connection_options(app_, o.server, home_);
    app_.add_flag("--password-stdin", o.password_stdin,
                  "read the password from the first line of standard input");
    app_.add_flag("--json", o.json, "machine-readable output: one JSON object per line");
    app_.add_option("--timeout", o.timeout_seconds, "give up on a command after SECONDS")
        ->check(number_at_least(0, true))
        ->capture_default_str();
    app_.add_option("--log-level", o.log_level, "client log level on stderr (trace..off)")
        ->capture_default_str();
    add_tls_options(app_, o.ca_file, o.insecure_plaintext);
    app_.footer(
        "Exit status: 0 ok, 1 error, 2 usage, 3 auth, 4 not found, 5 unavailable, "
        "6 refused, 7 a verified contact's key changed, 8 keys locked (`fastchat unlock`). "
        "See docs/cli.md.");

    leaf(&app_, "register", "create an account and log in", {{"USER", "username"}});
    leaf(&app_, "login", "log in (the password is prompted or read with --password-stdin)",
         {{"USER", "username"}});
    leaf(&app_, "unlock",
         "after a restart (or 30 days unused), unlock the saved session's keys with the "
         "password; the session and history stay",
         {});
    leaf(&app_, "logout", "log out and revoke this device's session", {});
    leaf(&app_, "passwd",
         "change the password (current, then new; with --password-stdin two lines) and "
         "revoke your other sessions",
         {});
    leaf(&app_, "whoami", "show the logged-in user", {});
    leaf(&app_, "users", "list users (optionally matching PATTERN)",
         {{"PATTERN", "part of a username", Arg::kOptionalOne}});
    leaf(&app_, "send", "send a message to a user",
         {{"USER", "recipient"}, {"TEXT", "message (several words are joined)", Arg::kText}});
    leaf(&app_, "send-file", "send a file or image to a user",
         {{"USER", "recipient"}, {"PATH", "file to send"}});
    auto* recv = leaf(&app_, "recv", "print new messages, acknowledge them and exit", {});
    recv->add_option("--wait", out_.command.wait_seconds,
                     "keep listening for SECONDS (until interrupted), printing messages "
                     "as they arrive")
        ->check(number_at_least(0, false));
    auto* history = leaf(&app_, "history", "show the local history with a user or group",
                         {{"PEER", "USER, or GROUP as #NAME, #ID, NAME or ID"}});
    history->add_option("--limit", out_.command.limit, "show at most the last N messages")
        ->check(number_at_least(1, false))
        ->capture_default_str();
    leaf(&app_, "chat", "interactive chat (type /help inside)", {});
    leaf(&app_, "trust-server",
         "pin the server's TLS key (after its key changed): FINGERPRINT as the server's "
         "operator reads it from fastchat-server --print-fingerprint; without it, the key "
         "the server presents now",
         {{"ADDRESS", "the server, HOST:PORT"}, {"FINGERPRINT", "SHA256:...", Arg::kOptionalOne}});

    // `sessions` lists; `sessions revoke` runs first (CLI11 calls the innermost
    // subcommand's callback first), so the list only names itself when nothing did.
    auto* sessions =
        app_.add_subcommand("sessions", "list your sessions (devices logged in), or revoke them");
    sessions->callback([this] {
      if (out_.command.name.empty()) out_.command.name = "sessions";
    });
    auto* revoke = leaf(sessions, "revoke",
                        "revoke a session (ID from `fastchat sessions`) or, with --all, every "
                        "session but this one; their connections end at once",
                        {{"ID", "session id", Arg::kOptionalOne}});
    revoke->add_flag("--all", out_.command.all, "revoke all your other sessions");
    auto* verify = leaf(&app_, "verify",
                        "show the safety number with USER (compare it with them) and whether "
                        "you verified their key",
                        {{"USER", "the contact"}});
    verify->add_flag("--confirm", out_.command.confirm,
                     "you compared the safety number with USER: mark their key verified");
    verify->add_flag("--accept-new", out_.command.accept_new,
                     "accept the changed key the server now gives for USER (unverified "
                     "unless --confirm)");

    leaf(&app_, "block",
         "block USER: they can no longer send you direct messages or add you to groups",
         {{"USER", "the user to block"}});
    leaf(&app_, "unblock", "lift a block", {{"USER", "the user to unblock"}});
    leaf(&app_, "blocks", "list the users you block", {});

    auto* group = app_.add_subcommand("group", "group chats");
    group->require_subcommand(1);
    const Arg group_arg{"GROUP", "group id, or a name unique among your groups"};
    leaf(group, "create", "create a group",
         {{"NAME", "group name"}, {"MEMBER", "initial members", Arg::kList}});
    leaf(group, "add", "add a member", {group_arg, {"USER", "user to add"}});
    leaf(group, "remove", "remove a member", {group_arg, {"USER", "user to remove"}});
    leaf(group, "leave", "leave a group", {group_arg});
    leaf(group, "send", "send a message to a group",
         {group_arg, {"TEXT", "message (several words are joined)", Arg::kText}});
    leaf(group, "send-file", "send a file or image to a group",
         {group_arg, {"PATH", "file to send"}});
    leaf(group, "list", "list your groups", {});
    leaf(group, "members", "list the members of a group", {group_arg});
    leaf(group, "show", "show a group, its verified members and who added or removed whom",
         {group_arg});
  }

  ParseResult parse(int argc, const char* const* argv) {
    try {
      app_.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
      return {std::nullopt, app_.exit(e)};
    } catch (const CLI::CallForAllHelp& e) {
      return {std::nullopt, app_.exit(e)};
    } catch (const CLI::CallForVersion& e) {
      return {std::nullopt, app_.exit(e)};
    } catch (const CLI::ParseError& e) {
      std::string message = e.what();
      const auto chosen = app_.get_subcommands();
      if (chosen.size() == 1 && chosen[0]->get_name() == "group" &&
          chosen[0]->get_subcommands().empty()) {
        message =
            "group needs a command: create, add, remove, leave, send, send-file, list, "
            "members or show";
      } else if (chosen.empty()) {
        const auto word = first_word(argc, argv);
        if (word && std::find(kCommands.begin(), kCommands.end(), *word) == kCommands.end()) {
          message = "unknown command '" + *word + "'";
        } else if (!word) {
          message = "no command given";
        }
      }
      std::fprintf(stderr, "fastchat: %s (see fastchat --help)\n", message.c_str());
      return {std::nullopt, kExitUsage};
    }
    out_.options.home = resolve_home(home_);
    return {std::move(out_), kExitOk};
  }

 private:
  // Where CLI11 stores one positional argument.
  struct Slot {
    std::string one;                // kOne, kOptionalOne
    std::vector<std::string> many;  // kText, kList
    CLI::Option* option = nullptr;
  };

  CLI::App* leaf(CLI::App* parent, const std::string& name, const std::string& description,
                 std::vector<Arg> args) {
    CLI::App* app = parent->add_subcommand(name, description);
    auto& slots = slots_.emplace_back(args.size());
    for (std::size_t i = 0; i < args.size(); ++i) {
      const bool single = args[i].kind == Arg::kOne || args[i].kind == Arg::kOptionalOne;
      slots[i].option = single ? app->add_option(args[i].name, slots[i].one, args[i].help)
                               : app->add_option(args[i].name, slots[i].many, args[i].help);
      if (args[i].kind == Arg::kOne || args[i].kind == Arg::kText) slots[i].option->required();
    }
    const std::string full_name = parent == &app_ ? name : parent->get_name() + " " + name;
    app->callback([this, full_name, args, &slots] {
      out_.command.name = full_name;
      for (std::size_t i = 0; i < args.size(); ++i) {
        switch (args[i].kind) {
          case Arg::kOne:
            out_.command.args.push_back(slots[i].one);
            break;
          case Arg::kOptionalOne:
            if (slots[i].option->count() > 0) out_.command.args.push_back(slots[i].one);
            break;
          case Arg::kText: {
            std::string text;
            for (const auto& word : slots[i].many)
              text += (text.empty() ? "" : " ") + word;
            out_.command.args.push_back(std::move(text));
            break;
          }
          case Arg::kList:
            out_.command.args.insert(out_.command.args.end(), slots[i].many.begin(),
                                     slots[i].many.end());
            break;
        }
      }
    });
    return app;
  }

  Invocation& out_;
  CLI::App app_;
  std::string home_;
  // The positionals of each command; a deque keeps them in place.
  std::deque<std::vector<Slot>> slots_;
};

}  // namespace

ParseResult parse_command_line(int argc, const char* const* argv) {
  Invocation invocation;
  Parser parser(invocation);
  return parser.parse(argc, argv);
}

}  // namespace fastchat::cli
