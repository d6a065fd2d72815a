#include "connection_options.h"

#include <CLI/CLI.hpp>

#include "home_dir.h"

namespace fastchat::cli {

void add_connection_options(CLI::App& app, std::string& server, std::string& home) {
  app.add_option("--server", server, "server address HOST:PORT")
      ->envname("FASTCHAT_SERVER")
      ->capture_default_str();
  app.add_option("--home", home,
                 "directory for keystore, session and local history "
                 "(default $XDG_DATA_HOME/fastchat or ~/.local/share/fastchat)")
      ->envname("FASTCHAT_HOME");
}

std::string resolve_home(const std::string& home_option) {
  return home_option.empty() ? default_home_dir() : home_option;
}

}  // namespace fastchat::cli
