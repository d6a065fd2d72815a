// The command line of `fastchat`: global options and one command, parsed with CLI11.
// Parsing only; commands run elsewhere (commands.h, chat_session.h).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace fastchat::cli {

struct GlobalOptions {
  std::string server = "127.0.0.1:7600";  // kDefaultServer (connection_options.h)
  std::string home;                       // resolved: --home, $FASTCHAT_HOME or default_home_dir()
  bool password_stdin = false;
  bool json = false;
  double timeout_seconds = 30;  // bound on a one-shot command (recv --wait adds its wait)
  std::string log_level = "off";
  // TLS (docs/security.md): trust only this CA file (no key pinning), or no TLS at all.
  std::string ca_file;
  bool insecure_plaintext = false;
};

// One command: its name ("send", "group create", ...) and its positional arguments
// in the order of the usage line. TEXT arguments given as several words are joined
// with single spaces.
struct Command {
  std::string name;
  std::vector<std::string> args;
  double wait_seconds = 0;  // recv --wait
  std::size_t limit = 50;   // history --limit
  bool all = false;         // sessions revoke --all
  bool confirm = false;     // verify --confirm
  bool accept_new = false;  // verify --accept-new
};

struct Invocation {
  GlobalOptions options;
  Command command;
};

struct ParseResult {
  std::optional<Invocation> invocation;  // set when a command is to run
  int exit_code = 0;                     // otherwise: --help, --version or a usage error
};

// Parses argv. Help and version go to stdout; a usage error is one line on stderr.
ParseResult parse_command_line(int argc, const char* const* argv);

}  // namespace fastchat::cli
