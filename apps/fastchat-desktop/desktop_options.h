// The command line of `fastchat-desktop`: --server and --home (with $FASTCHAT_SERVER
// and $FASTCHAT_HOME), --ca-file and --insecure-plaintext exactly as `fastchat` reads
// them (connection_options.h), and --log-level. Qt's own options (-platform, ...) are taken by
// QApplication first.
#pragma once

#include <optional>
#include <string>

namespace fastchat::desktop {

struct DesktopOptions {
  std::string server;
  std::string home;  // resolved: --home, $FASTCHAT_HOME or the default home
  std::string log_level = "warn";
  std::string ca_file;  // trust only these CAs (no key pinning)
  bool insecure_plaintext = false;
};

struct ParsedOptions {
  std::optional<DesktopOptions> options;  // set when the app is to run
  int exit_code = 0;                      // otherwise: --help, --version or a usage error
};

ParsedOptions parse_desktop_options(int argc, const char* const* argv);

}  // namespace fastchat::desktop
