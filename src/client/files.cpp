#include "client/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "client/home.h"
#include "common/hex.h"
#include "common/message_id.h"

namespace fastchat::client {

namespace {

constexpr std::size_t kMaxNameBytes = 200;
constexpr std::size_t kMaxChunkDataBytes = 1 << 20;

std::string lower_extension(std::string_view name) {
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos) return {};
  std::string ext(name.substr(dot + 1));
  for (char& c : ext) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return ext;
}

Status io_error(const std::string& what, const std::string& path) {
  return Status(Code::kIo, what + " " + path + ": " + std::strerror(errno));
}

Status write_at(const std::string& path, std::uint64_t offset, std::string_view data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("cannot open", path);
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n =
        ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Status status = io_error("cannot write", path);
      ::close(fd);
      return status;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) return io_error("cannot write", path);
  return Status::ok();
}

}  // namespace

std::string guess_mime_type(std::string_view file_name) {
  const std::string ext = lower_extension(file_name);
  struct Entry {
    const char* ext;
    const char* mime;
  };
  static constexpr Entry kTypes[] = {
      {"png", "image/png"},    {"jpg", "image/jpeg"},      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},    {"webp", "image/webp"},     {"svg", "image/svg+xml"},
      {"bmp", "image/bmp"},    {"pdf", "application/pdf"}, {"txt", "text/plain"},
      {"md", "text/markdown"}, {"zip", "application/zip"}, {"json", "application/json"},
  };
  for (const auto& t : kTypes) {
    if (ext == t.ext) return t.mime;
  }
  return "application/octet-stream";
}

std::string sanitize_file_name(std::string_view name) {
  const auto slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name = name.substr(slash + 1);
  std::string out;
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) continue;
    out.push_back(c);
  }
  out.erase(0, out.find_first_not_of(". "));
  if (out.size() > kMaxNameBytes) {
    // Keep the extension when shortening.
    const std::string ext = lower_extension(out);
    const std::size_t keep = ext.size() + 1 < kMaxNameBytes / 2 ? ext.size() + 1 : 0;
    out = out.substr(0, kMaxNameBytes - keep) + (keep ? out.substr(out.size() - keep) : "");
  }
  if (out.empty()) out = "file";
  return out;
}

Result<OutgoingFile> OutgoingFile::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open", path);
  OutgoingFile file(fd, path, 0);  // closes fd on every return below
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    return Status(Code::kIo, path + " is not a regular file");
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > kMaxFileBytes) {
    return Status(Code::kBadRequest,
                  "the file is larger than " + std::to_string(kMaxFileBytes >> 20) + " MiB");
  }
  file.size_ = size;
  file.count_ = static_cast<std::uint32_t>(
      std::max<std::uint64_t>(1, (size + kFileChunkBytes - 1) / kFileChunkBytes));
  return file;
}

OutgoingFile::OutgoingFile(int fd, std::string path, std::uint64_t size)
    : fd_(fd),
      path_(std::move(path)),
      name_(sanitize_file_name(path_)),
      mime_(guess_mime_type(name_)),
      size_(size),
      count_(1),
      file_id_(MessageId::random().to_bytes()) {}

OutgoingFile::OutgoingFile(OutgoingFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      name_(std::move(other.name_)),
      mime_(std::move(other.mime_)),
      size_(other.size_),
      count_(other.count_),
      file_id_(std::move(other.file_id_)) {}

OutgoingFile::~OutgoingFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::uint64_t OutgoingFile::bytes_through(std::uint32_t index) const {
  return std::min(size_, (std::uint64_t{index} + 1) * kFileChunkBytes);
}

Status OutgoingFile::read_chunk(std::uint32_t index, wire::FileChunk& chunk) const {
  if (index >= count_) return Status(Code::kInternal, "no such part of " + path_);
  const std::uint64_t offset = std::uint64_t{index} * kFileChunkBytes;
  const auto length = static_cast<std::size_t>(bytes_through(index) - offset);
  std::string& data = *chunk.mutable_data();
  data.resize(length);
  std::size_t got = 0;
  while (got < length) {
    const ssize_t n =
        ::pread(fd_, data.data() + got, length - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status(Code::kIo, "cannot read " + path_);
    got += static_cast<std::size_t>(n);
  }
  chunk.set_file_id(file_id_);
  chunk.set_name(name_);
  chunk.set_mime_type(mime_);
  chunk.set_total_size(size_);
  chunk.set_index(index);
  chunk.set_count(count_);
  return Status::ok();
}

std::string FileAssembler::partial_path(std::string_view sender, std::string_view file_id) const {
  return dir_ + "/.partial-" + std::string(sender) + "-" + to_hex(file_id);
}

std::string FileAssembler::unique_path(const std::string& name) const {
  std::string candidate = dir_ + "/" + name;
  if (!file_exists(candidate)) return candidate;
  const auto dot = name.rfind('.');
  const std::string stem = dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
  const std::string ext = dot == std::string::npos || dot == 0 ? "" : name.substr(dot);
  for (int i = 1; i < 10'000; ++i) {
    candidate = dir_ + "/" + stem + " (" + std::to_string(i) + ")" + ext;
    if (!file_exists(candidate)) return candidate;
  }
  return dir_ + "/" + stem + " (" + std::to_string(::getpid()) + ")" + ext;
}

Result<std::optional<FileAssembler::Completed>> FileAssembler::add(std::string_view sender,
                                                                   const wire::FileChunk& chunk) {
  const std::string& file_id = chunk.file_id();
  const std::string& data = chunk.data();
  if (file_id.size() != 16) return Status(Code::kBadRequest, "file id is not 16 bytes");
  if (chunk.count() == 0 || chunk.count() > kMaxFileChunks || chunk.index() >= chunk.count()) {
    return Status(Code::kBadRequest, "bad chunk index or count");
  }
  if (chunk.total_size() > kMaxFileBytes || data.size() > kMaxChunkDataBytes) {
    return Status(Code::kBadRequest, "file or chunk too large");
  }

  auto transfer = store_.file_transfer(sender, file_id);
  if (!transfer) {
    HistoryStore::FileTransfer t;
    t.name = sanitize_file_name(chunk.name());
    t.mime_type = chunk.mime_type();
    t.total_size = chunk.total_size();
    t.chunk_count = chunk.count();
    if (Status s = store_.begin_file_transfer(sender, file_id, t); !s) return s;
    transfer = std::move(t);
  } else if (transfer->total_size != chunk.total_size() || transfer->chunk_count != chunk.count()) {
    return Status(Code::kBadRequest, "chunk does not match its file");
  }

  // Every chunk but the last has the same size, so a chunk's place follows from its
  // index and size; the last one ends the file.
  const bool last = chunk.index() + 1 == chunk.count();
  std::uint64_t offset;
  if (last) {
    if (data.size() > chunk.total_size()) return Status(Code::kBadRequest, "chunk past the end");
    offset = chunk.total_size() - data.size();
  } else {
    offset = std::uint64_t{chunk.index()} * data.size();
    if (data.empty() || offset + data.size() > chunk.total_size()) {
      return Status(Code::kBadRequest, "chunk past the end");
    }
  }

  const std::string partial = dir_.empty() ? std::string() : partial_path(sender, file_id);
  if (!dir_.empty()) {
    if (Status s = make_private_dirs(dir_); !s) return s;
    if (Status s = write_at(partial, offset, data); !s) return s;
  }
  auto received = store_.add_file_chunk(sender, file_id, chunk.index());
  if (!received) return received.status();
  if (!*received || **received < transfer->chunk_count) return std::optional<Completed>();

  Completed done;
  done.name = transfer->name;
  done.size = transfer->total_size;
  if (!dir_.empty()) {
    if (::truncate(partial.c_str(), static_cast<off_t>(done.size)) != 0) {
      return io_error("cannot finish", partial);
    }
    done.path = unique_path(done.name);
    if (std::rename(partial.c_str(), done.path.c_str()) != 0) {
      return io_error("cannot save", done.path);
    }
  }
  if (Status s = store_.finish_file_transfer(sender, file_id); !s) return s;
  return std::optional<Completed>(std::move(done));
}

std::string transfer_id(std::string_view file_id) {
  return to_hex(file_id);
}

}  // namespace fastchat::client
