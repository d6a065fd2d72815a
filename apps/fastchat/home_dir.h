// Where the client keeps its keystore, session and local history by default.
#pragma once

#include <string>

#include "common/status.h"

namespace fastchat::cli {

// $XDG_DATA_HOME/fastchat when XDG_DATA_HOME is an absolute path, else
// ~/.local/share/fastchat ($HOME, or the password database when HOME is unset).
std::string default_home_dir();

// Creates `dir` and its parents if missing; a directory the client creates is
// readable by its owner only (mode 0700), since it holds the user's keys.
Status ensure_home_dir(const std::string& dir);

}  // namespace fastchat::cli
