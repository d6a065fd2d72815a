// The options that say which server and which account home to use: --server and
// --home, with $FASTCHAT_SERVER and $FASTCHAT_HOME, and how to trust the server:
// --ca-file and --insecure-plaintext. Shared by `fastchat` and `fastchat-desktop`, so
// both read them the same way and share one account's home.
// Plain functions; no shared state.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace fastchat::cli {

inline constexpr const char* kDefaultServer = "127.0.0.1:7600";

// Adds --server (into `server`, whose value is the default) and --home (into `home`,
// empty when not given) to `app`.
void add_connection_options(CLI::App& app, std::string& server, std::string& home);

// Adds --ca-file (trust only these CAs, no key pinning) and --insecure-plaintext (no
// TLS) to `app`.
void add_tls_options(CLI::App& app, std::string& ca_file, bool& insecure_plaintext);

// The home directory to use: `home_option` when given, else default_home_dir().
std::string resolve_home(const std::string& home_option);

}  // namespace fastchat::cli
