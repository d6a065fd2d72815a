#include "desktop_options.h"

#include <CLI/CLI.hpp>

#include "connection_options.h"

namespace fastchat::desktop {

ParsedOptions parse_desktop_options(int argc, const char* const* argv) {
  DesktopOptions options;
  options.server = cli::kDefaultServer;
  std::string home;
  CLI::App app("fastchat-desktop: end-to-end-encrypted chat, the desktop client");
  cli::add_connection_options(app, options.server, home);
  cli::add_tls_options(app, options.ca_file, options.insecure_plaintext);
  app.add_option("--log-level", options.log_level, "client log level on stderr (trace..off)")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return {std::nullopt, app.exit(e)};
  }
  options.home = cli::resolve_home(home);
  return {std::move(options), 0};
}

}  // namespace fastchat::desktop
