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

void add_tls_options(CLI::App& app, std::string& ca_file, bool& insecure_plaintext) {
  app.add_option("--ca-file", ca_file,
                 "trust only the CA certificates in this PEM file (no key pinning)");
  app.add_flag("--insecure-plaintext", insecure_plaintext,
               "no TLS: only for a server started with --insecure-plaintext on loopback");
}

std::string resolve_home(const std::string& home_option) {
  return home_option.empty() ? default_home_dir() : home_option;
}

}  // namespace fastchat::cli
