// Framing: each frame is a 4-byte big-endian length followed by one serialized
// wire::Frame (DESIGN §3). FrameDecoder turns a byte stream back into frames;
// append_frame() coalesces many encoded frames into one output buffer.
// Thread-safety: a FrameDecoder belongs to one connection and one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fastchat.pb.h"

namespace fastchat::protocol {

inline constexpr std::uint32_t kProtocolVersion = 1;
inline constexpr std::size_t kMaxFrameBytes = 1 << 20;  // payload, without the length prefix
inline constexpr std::size_t kLengthPrefixBytes = 4;

// Protobuf logs every string field with invalid UTF-8 it refuses to parse; on hostile
// input that is a log flood. Call once at start-up in anything that parses peer bytes.
void silence_protobuf_logging();

// Appends the length prefix and serialized `frame` to `out`. Returns false (and
// leaves `out` unchanged) when the frame would exceed kMaxFrameBytes.
bool append_frame(std::string& out, const wire::Frame& frame);

// One encoded frame (length prefix included), for sending the same bytes to many peers.
std::string encode_frame(const wire::Frame& frame);

class FrameDecoder {
 public:
  enum class Next {
    kFrame,      // `out` holds the next frame
    kNeedMore,   // no complete frame buffered yet
    kTooLarge,   // the announced length exceeds the maximum; the stream is unusable
    kMalformed,  // the payload does not parse as a Frame; the stream is unusable
  };

  explicit FrameDecoder(std::size_t max_frame_bytes = kMaxFrameBytes);

  // A writable area of at least `min_free` bytes to read the socket into; follow
  // with commit(bytes_read).
  std::span<char> prepare(std::size_t min_free = 16 * 1024);
  void commit(std::size_t n);
  // Copies `bytes` in (tests, fuzzers, in-memory streams).
  void feed(std::string_view bytes);

  Next next(wire::Frame& out);
  // Like next(), but hands out the raw payload; valid until the next call.
  Next next_payload(std::string_view& payload);

  std::size_t buffered() const { return end_ - begin_; }
  // Frees the buffer when nothing is buffered, so an idle connection holds none.
  void release_if_empty();

 private:
  std::size_t max_frame_bytes_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;  // first unread byte
  std::size_t end_ = 0;    // one past the last committed byte
};

}  // namespace fastchat::protocol
