// Fuzzes frame decoding on the path the server reads with (server/session.cpp): two
// connections of one loop take turns reading into the thread's shared scratch buffer
// (read_area, commit, next, release_if_empty), in read sizes the input chooses. Each
// must decode exactly the frames, and end in the state, of a decoder fed the whole
// stream at once.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/frame_codec.h"

namespace {

using fastchat::protocol::FrameDecoder;

struct Outcome {
  std::vector<std::string> frames;  // serialized
  FrameDecoder::Next end = FrameDecoder::Next::kNeedMore;
};

// Decodes what is buffered; false once the stream is unusable.
bool drain(FrameDecoder& decoder, Outcome& outcome) {
  fastchat::wire::Frame frame;
  for (;;) {
    const auto next = decoder.next(frame);
    if (next == FrameDecoder::Next::kFrame) {
      outcome.frames.push_back(frame.SerializeAsString());
      frame.Clear();
      continue;
    }
    outcome.end = next;
    return next == FrameDecoder::Next::kNeedMore;
  }
}

// One connection reading `stream` as a socket would hand it over.
struct Reader {
  std::string_view stream;
  std::size_t max_read;
  FrameDecoder decoder{fastchat::protocol::kMaxFrameBytes};
  Outcome outcome;
  bool done = false;

  void read_once() {
    if (done) return;
    auto area = decoder.read_area();
    const std::size_t n = std::min({stream.size(), area.size(), max_read});
    std::memcpy(area.data(), stream.data(), n);
    stream.remove_prefix(n);
    decoder.commit(n);
    if (!drain(decoder, outcome)) done = true;
    decoder.release_if_empty();
    if (stream.empty()) done = true;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = (fastchat::protocol::silence_protobuf_logging(), true);
  (void)quiet;
  if (size < 2) return 0;
  // The first two bytes choose each connection's read size; the rest is the stream.
  const std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);
  Reader a{stream, 1 + data[0] * 37u};
  Reader b{stream, 1 + data[1] * 3u};

  FrameDecoder whole(fastchat::protocol::kMaxFrameBytes);
  whole.feed(stream);
  Outcome expected;
  (void)drain(whole, expected);

  while (!a.done || !b.done) {
    a.read_once();
    b.read_once();
  }
  for (const Reader* r : {&a, &b}) {
    if (r->outcome.frames != expected.frames || r->outcome.end != expected.end) std::abort();
  }
  return 0;
}
