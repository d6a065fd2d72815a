#include "crypto/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "crypto/keystore.h"

namespace fastchat::crypto {

namespace {

Status io_error(const std::string& what, const std::string& path, int error) {
  return Status(Code::kIo, what + " " + path + ": " + std::generic_category().message(error));
}

// Closes the descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now and reports whether that worked (a failed close can mean lost data).
  bool close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

std::string parent_dir(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Makes a rename or link durable. Best effort: not every file system syncs directories.
void sync_parent_dir(const std::string& path) {
  Fd dir(::open(parent_dir(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() >= 0) (void)::fsync(dir.get());
}

bool write_all(int fd, std::string_view bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// Writes `bytes` to a new, uniquely named, fsynced 0600 file beside `path` (same
// directory, so it can be renamed or linked into place); returns its name.
Result<std::string> write_temp(const std::string& path, std::string_view bytes) {
  std::string temp = path + ".tmp.XXXXXX";
  Fd fd(::mkostemp(temp.data(), O_CLOEXEC));
  if (fd.get() < 0) return io_error("cannot create a temporary file for", path, errno);
  // mkostemp() creates files 0600; say so explicitly rather than rely on the libc.
  if (::fchmod(fd.get(), 0600) != 0 || !write_all(fd.get(), bytes) || ::fsync(fd.get()) != 0 ||
      !fd.close()) {
    const int error = errno;
    ::unlink(temp.c_str());
    return io_error("cannot write", temp, error);
  }
  return temp;
}

// Without hard links (some file systems): O_EXCL still never replaces a file, but a
// crash can leave it short, which the reader then reports instead of using.
Result<bool> create_exclusive_in_place(const std::string& path, std::string_view bytes) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.get() < 0) {
    if (errno == EEXIST) return false;
    return io_error("cannot create", path, errno);
  }
  if (!write_all(fd.get(), bytes) || ::fsync(fd.get()) != 0 || !fd.close()) {
    const int error = errno;
    ::unlink(path.c_str());
    return io_error("cannot write", path, error);
  }
  sync_parent_dir(path);
  return true;
}

}  // namespace

namespace detail {

Result<SecretBytes> read_private_file(const std::string& path, std::size_t max_bytes) {
  // O_NONBLOCK: a FIFO planted at `path` must not hang the caller.
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) {
    if (errno == ENOENT) return Status(Code::kNotFound, "no file at " + path);
    return io_error("cannot open", path, errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return io_error("cannot stat", path, errno);
  if (!S_ISREG(st.st_mode)) return Status(Code::kIo, path + " is not a regular file");
  SecretBytes buffer(max_bytes + 1);
  std::size_t done = 0;
  while (done < buffer.size()) {
    const ssize_t n = ::read(fd.get(), buffer.data() + done, buffer.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot read", path, errno);
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return SecretBytes(buffer.view().substr(0, done));
}

Result<bool> create_private_file(const std::string& path, std::string_view bytes) {
  auto temp = write_temp(path, bytes);
  if (!temp) return temp.status();
  // link(), unlike rename(), never replaces a file that appeared meanwhile.
  const bool linked = ::link(temp->c_str(), path.c_str()) == 0;
  const int error = errno;
  ::unlink(temp->c_str());
  if (linked) {
    sync_parent_dir(path);
    return true;
  }
  if (error == EEXIST) return false;
  if (error == EPERM || error == EOPNOTSUPP || error == ENOSYS) {
    return create_exclusive_in_place(path, bytes);
  }
  return io_error("cannot create", path, error);
}

}  // namespace detail

Status write_private_file(const std::string& path, std::string_view bytes) {
  auto temp = write_temp(path, bytes);
  if (!temp) return temp.status();
  if (::rename(temp->c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp->c_str());
    return io_error("cannot replace", path, error);
  }
  sync_parent_dir(path);
  return Status::ok();
}

}  // namespace fastchat::crypto
