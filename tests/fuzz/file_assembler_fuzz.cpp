// Fuzzes the file assembler (client/files.h) with the FileChunks a peer sends: a run
// of chunks from a sender of its own (the history is shared by a few thousand runs:
// opening one costs more than a run) into an empty downloads folder. Whatever they claim, nothing
// is written outside the folder and a completed file has the size it announced.
// Input: records of a 2-byte big-endian length and a serialized FileChunk.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "client/files.h"
#include "client/history_store.h"
#include "fastchat.pb.h"
#include "protocol/frame_codec.h"
#include "scratch_dir.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fastchat;
  static const bool quiet = (protocol::silence_protobuf_logging(), true);
  (void)quiet;
  const std::filesystem::path& root = fuzz::scratch_dir("file_assembler");
  const std::filesystem::path downloads = root / "downloads";
  std::error_code ec;
  std::filesystem::remove_all(downloads, ec);
  static std::unique_ptr<client::HistoryStore> history;
  static std::uint64_t runs = 0;
  if (runs++ % 4096 == 0) {
    auto opened =
        client::HistoryStore::open(":memory:", crypto::HistoryBox(crypto::Identity::generate()));
    if (!opened) std::abort();
    history = std::move(*opened);
  }
  const std::string sender = "s" + std::to_string(runs);
  client::FileAssembler assembler(downloads.string(), *history);

  std::string_view input(reinterpret_cast<const char*>(data), size);
  while (input.size() >= 2) {
    const std::size_t length =
        (static_cast<unsigned char>(input[0]) << 8) | static_cast<unsigned char>(input[1]);
    input.remove_prefix(2);
    const std::string_view record = input.substr(0, length);
    input.remove_prefix(record.size());
    wire::FileChunk chunk;
    if (!chunk.ParseFromArray(record.data(), static_cast<int>(record.size()))) continue;
    auto done = assembler.add(sender, chunk);
    if (!done || !*done) continue;
    const auto& completed = **done;
    const std::filesystem::path path(completed.path);
    if (path.parent_path() != downloads) std::abort();
    if (client::sanitize_file_name(completed.name) != completed.name) std::abort();
    if (std::filesystem::file_size(path) != completed.size) std::abort();
  }
  // Everything written is in the downloads folder.
  for (const auto& entry : std::filesystem::directory_iterator(root)) {
    if (entry.path() != downloads) std::abort();
  }
  return 0;
}
