#include "store/open_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"

namespace fastchat::store {
namespace {

constexpr char kDatabaseFile[] = "fastchat.db";

Status io_error(const std::string& what, const std::string& path) {
  return {Code::kIo, what + " " + path + ": " + std::strerror(errno)};
}

// Creates `dir` and its missing parents, each with mode 0700 (the store holds metadata
// that is nobody else's business). Existing directories keep their mode.
Status make_private_dirs(const std::string& dir) {
  std::filesystem::path prefix;
  for (const auto& part : std::filesystem::path(dir)) {
    if (part.empty()) continue;  // from a trailing slash
    prefix /= part;
    if (::mkdir(prefix.c_str(), 0700) == 0) continue;
    const int error = errno;
    struct stat info {};
    if (::stat(prefix.c_str(), &info) != 0) {
      errno = error;
      return io_error("cannot create directory", prefix.string());
    }
    if (!S_ISDIR(info.st_mode)) {
      return {Code::kIo, prefix.string() + " exists and is not a directory"};
    }
  }
  return {};
}

// Creates the database file readable by its owner only, before SQLite creates it with
// the default 0644; its -wal and -shm files copy its permissions.
Status make_private_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("cannot open", path);
  ::close(fd);
  return {};
}

}  // namespace

Result<std::unique_ptr<Store>> open_store(const std::string& db_url, const std::string& data_dir) {
  if (db_url.starts_with("postgresql://") || db_url.starts_with("postgres://")) {
    return postgres::open_postgres_store(db_url);
  }
  if (!db_url.empty()) {
    return Result<std::unique_ptr<Store>>(
        Code::kBadRequest,
        "unsupported database URL (expected postgresql://...; leave it empty for the embedded "
        "SQLite store)");
  }
  if (data_dir.empty()) {
    return Result<std::unique_ptr<Store>>(Code::kBadRequest, "no data directory given");
  }
  if (Status s = make_private_dirs(data_dir); !s) return s;
  const std::string path = (std::filesystem::path(data_dir) / kDatabaseFile).string();
  if (Status s = make_private_file(path); !s) return s;
  auto store = sqlite::SqliteStore::open(path);
  if (!store) return store.status();
  return std::unique_ptr<Store>(std::move(store).value());
}

}  // namespace fastchat::store
