// Fuzzes the frame decoder with arbitrary bytes, fed in pieces as a socket would.
#include <cstdint>
#include <string_view>

#include "protocol/frame_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = (fastchat::protocol::silence_protobuf_logging(), true);
  (void)quiet;
  fastchat::protocol::FrameDecoder decoder(64 * 1024);
  fastchat::wire::Frame frame;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // The first byte chooses the chunk size, so splits are fuzzed too.
  const std::size_t chunk = size > 0 ? 1 + data[0] % 97 : 1;
  while (!input.empty()) {
    const auto piece = input.substr(0, chunk);
    input.remove_prefix(piece.size());
    decoder.feed(piece);
    for (;;) {
      const auto next = decoder.next(frame);
      if (next == fastchat::protocol::FrameDecoder::Next::kFrame) {
        // A decoded frame must re-encode within limits.
        std::string out;
        fastchat::protocol::append_frame(out, frame);
        continue;
      }
      if (next != fastchat::protocol::FrameDecoder::Next::kNeedMore) return 0;  // stream unusable
      break;
    }
    decoder.release_if_empty();
  }
  return 0;
}
