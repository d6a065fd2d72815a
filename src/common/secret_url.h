// Where a server takes a connection URL that may hold a password (PostgreSQL, Redis):
// the command line, a file, or the environment. A password is never taken from the
// command line, where `ps` shows it to every user of the machine.
// Thread-compatible (reads files and the environment; no state).
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace fastchat {

struct SecretUrlSources {
  std::string option;        // the command-line option, for messages: "--db"
  std::string command_line;  // its value ("" when not given)
  std::string file;          // the value of OPTION-file ("" when not given)
  std::string env_name;      // the environment variable: "FASTCHAT_DB_URL"
};

// True when `url` carries a password: "scheme://user:password@...", or a libpq
// "password=" parameter (URL query or keyword/value form).
bool url_has_password(std::string_view url);

// The URL from exactly one of the three sources ("" when none is given). kBadRequest
// when more than one is given, when the command-line URL holds a password, or when the
// file can be read by other users than its owner; kIo when the file cannot be read.
// A file holds the URL on its first line.
Result<std::string> resolve_secret_url(const SecretUrlSources& sources);

}  // namespace fastchat
