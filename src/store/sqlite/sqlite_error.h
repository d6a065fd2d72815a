// Mapping of SQLite result codes onto fastchat Status codes. Stateless; thread-safe.
#pragma once

#include <string_view>

#include "common/status.h"

namespace fastchat::store::sqlite {

// kUnavailable for what waiting or retrying may cure (busy, locked, I/O error, full disk,
// cannot open, read-only file, out of memory); kInternal for everything else (corruption,
// constraint, misuse). `message` is SQLite's text, `context` says what we were doing.
Status sqlite_status(int rc, std::string_view message, std::string_view context);

}  // namespace fastchat::store::sqlite
