#include "home_dir.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace fastchat::cli {

std::string default_home_dir() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && xdg[0] == '/') {
    return std::string(xdg) + "/fastchat";
  }
  std::string home;
  if (const char* env = std::getenv("HOME"); env != nullptr && env[0] != '\0') {
    home = env;
  } else if (const passwd* pw = getpwuid(getuid()); pw != nullptr && pw->pw_dir != nullptr) {
    home = pw->pw_dir;
  } else {
    home = ".";
  }
  return home + "/.local/share/fastchat";
}

Status ensure_home_dir(const std::string& dir) {
  if (dir.empty()) return Status(Code::kBadRequest, "--home is empty");
  // Create each missing component; only the last one gets the private mode.
  for (std::size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    const std::string prefix = dir.substr(0, pos);
    const bool last = pos == dir.size();
    if (::mkdir(prefix.c_str(), last ? 0700 : 0755) != 0 && errno != EEXIST) {
      return Status(Code::kIo, "cannot create " + prefix + ": " + std::strerror(errno));
    }
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status(Code::kIo, dir + " is not a directory");
  }
  return Status::ok();
}

}  // namespace fastchat::cli
