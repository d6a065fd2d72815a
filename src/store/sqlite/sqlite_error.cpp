#include "store/sqlite/sqlite_error.h"

#include <sqlite3.h>

#include <string>

namespace fastchat::store::sqlite {

Status sqlite_status(int rc, std::string_view message, std::string_view context) {
  Code code = Code::kInternal;
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
    case SQLITE_NOMEM:
    case SQLITE_NOLFS:
      code = Code::kUnavailable;
      break;
    default:
      break;
  }
  std::string text(context);
  if (!text.empty()) text += ": ";
  text += message.empty() ? std::string_view(sqlite3_errstr(rc)) : message;
  text += " (sqlite ";
  text += std::to_string(rc);
  text += ')';
  return {code, std::move(text)};
}

}  // namespace fastchat::store::sqlite
