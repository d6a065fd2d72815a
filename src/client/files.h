// Files and images travel as FileChunk messages of kFileChunkBytes each (the last
// one shorter), to a user or to a group alike; OutgoingFile reads a file to send a
// chunk at a time, FileAssembler puts received chunks together in the downloads folder.
// Progress lives in the HistoryStore, so a transfer survives a restart.
//
// Thread safety: none; belongs to one Client (one executor). Blocking local file I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "client/history_store.h"
#include "common/status.h"
#include "fastchat.pb.h"

namespace fastchat::client {

inline constexpr std::size_t kFileChunkBytes = 256 * 1024;
inline constexpr std::uint64_t kMaxFileBytes = 1ULL << 30;  // 1 GiB per file
inline constexpr std::uint32_t kMaxFileChunks =
    static_cast<std::uint32_t>((kMaxFileBytes + kFileChunkBytes - 1) / kFileChunkBytes);

// A MIME type from the file name's extension (images, PDF, text; else octet-stream).
std::string guess_mime_type(std::string_view file_name);

// A safe local file name for a name chosen by a peer: its last path component,
// without control characters or leading dots, at most 200 bytes; "file" if empty.
std::string sanitize_file_name(std::string_view name);

// FileProgress::transfer_id for a FileChunk's file_id: its bytes in hex.
std::string transfer_id(std::string_view file_id);

// A local file being sent: checked and opened once, then read a chunk at a time.
class OutgoingFile {
 public:
  // kIo when `path` cannot be opened or is not a regular file; kBadRequest when it is
  // larger than kMaxFileBytes.
  static Result<OutgoingFile> open(const std::string& path);
  OutgoingFile(OutgoingFile&& other) noexcept;
  OutgoingFile& operator=(OutgoingFile&&) = delete;
  OutgoingFile(const OutgoingFile&) = delete;
  ~OutgoingFile();

  const std::string& path() const { return path_; }
  const std::string& name() const { return name_; }  // as the recipients will see it
  std::uint64_t size() const { return size_; }
  std::uint32_t chunk_count() const { return count_; }
  const std::string& file_id() const { return file_id_; }  // random, 16 bytes

  // Fills `chunk` with part `index` (< chunk_count()), its data read from the file now.
  Status read_chunk(std::uint32_t index, wire::FileChunk& chunk) const;
  // How many bytes have gone once parts 0..index have.
  std::uint64_t bytes_through(std::uint32_t index) const;

 private:
  OutgoingFile(int fd, std::string path, std::uint64_t size);

  int fd_;
  std::string path_;
  std::string name_;
  std::string mime_;
  std::uint64_t size_;
  std::uint32_t count_;
  std::string file_id_;
};

class FileAssembler {
 public:
  struct Completed {
    std::string name;
    std::string path;  // empty when nothing is written
    std::uint64_t size = 0;
  };

  // `downloads_dir` empty: chunks are counted but nothing is written (load tester).
  FileAssembler(std::string downloads_dir, HistoryStore& store)
      : dir_(std::move(downloads_dir)), store_(store) {}

  // Adds one chunk from `sender` (canonical). The completed file once its last
  // missing chunk arrived, nullopt before (or for a chunk seen before). kBadRequest
  // for a chunk that does not fit its transfer; kIo when the file cannot be written.
  Result<std::optional<Completed>> add(std::string_view sender, const wire::FileChunk& chunk);

 private:
  std::string partial_path(std::string_view sender, std::string_view file_id) const;
  std::string unique_path(const std::string& name) const;

  std::string dir_;
  HistoryStore& store_;
};

}  // namespace fastchat::client
