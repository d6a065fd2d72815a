#include "client/home.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/hex.h"
#include "common/username.h"
#include "crypto/keystore.h"

namespace fastchat::client {

namespace {

constexpr std::string_view kSessionMagic = "fastchat-session 1";
constexpr std::size_t kMaxSessionFileBytes = 4096;

// Wipes a std::string that held secrets (hex of a token or key) before it is freed.
struct WipeOnExit {
  std::string& s;
  ~WipeOnExit() {
    if (!s.empty()) sodium_memzero(s.data(), s.size());
  }
};

// Decoded straight into the secret's own buffer, which wipes itself.
bool secret_from_hex(std::string_view hex, crypto::SecretBytes& out) {
  if (hex.empty() || hex.size() % 2 != 0) return false;
  crypto::SecretBytes bytes(hex.size() / 2);
  if (!from_hex(hex, std::span(bytes.data(), bytes.size()))) return false;
  out = std::move(bytes);
  return true;
}

// A kernel keyring key name: printable, one line, bounded.
bool is_key_ref(std::string_view ref) {
  if (ref.empty() || ref.size() > 255) return false;
  for (const char c : ref) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

Status io_error(const std::string& what, const std::string& path) {
  return Status(Code::kIo, what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

std::string HomeLayout::user_dir(std::string_view username) const {
  // "." and ".." (accounts from before they were refused) must not name the users
  // folder or the home itself: '@' is in no username, so nothing else maps there.
  if (username == "." || username == "..") return home_ + "/users/@" + std::string(username);
  return home_ + "/users/" + std::string(username);
}

Status make_private_dirs(const std::string& path) {
  if (path.empty()) return Status(Code::kIo, "empty directory path");
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    const std::string prefix = path.substr(0, pos);
    if (prefix.empty()) continue;
    if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return io_error("cannot create directory", prefix);
    }
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status(Code::kIo, "not a directory: " + path);
  }
  return Status::ok();
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

Status save_session(const std::string& path, const SavedSession& session) {
  if (!normalize_username(session.username) || session.server.find('\n') != std::string::npos) {
    return Status(Code::kInternal, "refusing to save a malformed session");
  }
  std::string text;
  WipeOnExit wipe{text};
  text.reserve(256);
  text.append(kSessionMagic).append("\n");
  text.append("username ").append(session.username).append("\n");
  text.append("server ").append(session.server).append("\n");
  text.append("token ").append(to_hex(session.session_token.view())).append("\n");
  if (!session.data_key.empty()) {
    std::string key_hex = to_hex(session.data_key.view());
    WipeOnExit wipe_key{key_hex};
    text.append("data_key ").append(key_hex).append("\n");
  } else if (is_key_ref(session.data_key_ref)) {
    text.append("data_key_ref ").append(session.data_key_ref).append("\n");
  } else {
    return Status(Code::kInternal, "refusing to save a session without its data key's place");
  }
  return crypto::write_private_file(path, text);
}

Result<SavedSession> load_session(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status(Code::kNotFound, "not logged in (no session file)");
    return io_error("cannot read", path);
  }
  std::string text(kMaxSessionFileBytes + 1, '\0');
  WipeOnExit wipe{text};
  std::size_t n = 0;
  while (n < text.size()) {
    const ssize_t got = ::read(fd, text.data() + n, text.size() - n);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    n += static_cast<std::size_t>(got);
  }
  ::close(fd);
  if (n > kMaxSessionFileBytes) return Status(Code::kIo, "session file too large: " + path);
  std::string_view rest(text.data(), n);

  SavedSession session;
  bool magic = false, have_token = false, have_key = false, have_ref = false;
  while (!rest.empty()) {
    const auto eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
    if (!magic) {
      if (line != kSessionMagic) break;
      magic = true;
      continue;
    }
    const auto space = line.find(' ');
    if (space == std::string_view::npos) continue;
    const auto key = line.substr(0, space);
    const auto value = line.substr(space + 1);
    if (key == "username") {
      session.username = std::string(value);
    } else if (key == "server") {
      session.server = std::string(value);
    } else if (key == "token") {
      have_token = secret_from_hex(value, session.session_token);
    } else if (key == "data_key") {
      have_key = secret_from_hex(value, session.data_key);
    } else if (key == "data_key_ref" && is_key_ref(value)) {
      session.data_key_ref = std::string(value);
      have_ref = true;
    }
  }
  auto canonical = normalize_username(session.username);
  if (!magic || !canonical || *canonical != session.username || !have_token ||
      !(have_key || have_ref)) {
    return Status(Code::kIo, "malformed session file " + path + "; log in again");
  }
  return session;
}

Status wipe_session(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return Status::ok();
  } else {
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
      std::vector<char> zeros(static_cast<std::size_t>(st.st_size), '\0');
      [[maybe_unused]] auto written = ::pwrite(fd, zeros.data(), zeros.size(), 0);
      ::fsync(fd);
    }
    ::close(fd);
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return io_error("cannot remove", path);
  return Status::ok();
}

}  // namespace fastchat::client
