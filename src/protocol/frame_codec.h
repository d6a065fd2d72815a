// Framing: each frame is a 4-byte big-endian length followed by one serialized
// wire::Frame (DESIGN §3). FrameDecoder turns a byte stream back into frames;
// append_frame() coalesces many encoded frames into one output buffer.
// Thread-safety: a FrameDecoder belongs to one connection and one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
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

// Appends the frame {request_id, body as the oneof field `field_number`} (e.g.
// wire::Frame::kSendOkFieldNumber) without building a Frame: a caller can reuse
// `body` (a oneof member of a reused Frame would be freed by each Clear()). Returns
// false (leaving `out` unchanged) when the frame would exceed kMaxFrameBytes.
bool append_frame_of(std::string& out, std::uint64_t request_id, int field_number,
                     const google::protobuf::MessageLite& body);

class FrameDecoder {
 public:
  enum class Next {
    kFrame,      // `out` holds the next frame
    kNeedMore,   // no complete frame buffered yet
    kTooLarge,   // the announced length exceeds the maximum; the stream is unusable
    kMalformed,  // the payload does not parse as a Frame; the stream is unusable
  };

  explicit FrameDecoder(std::size_t max_frame_bytes = kMaxFrameBytes);
  FrameDecoder(FrameDecoder&& other) noexcept { *this = std::move(other); }
  // Takes `other`'s buffered bytes; `other` is left empty.
  FrameDecoder& operator=(FrameDecoder&& other) noexcept;

  // A writable area of at least `min_free` bytes in the decoder's own buffer (not
  // zero-filled; grown only when too small); follow with commit(bytes_read).
  std::span<char> prepare(std::size_t min_free = 16 * 1024);
  // For a reader that reads *synchronously* (a non-blocking read after readiness):
  // when nothing is buffered, the area is this thread's scratch buffer (kScratchBytes,
  // shared by every decoder of the thread), so a read allocates nothing and an idle
  // connection holds no buffer. Frames are decoded straight from the scratch; only
  // an incomplete tail is copied into the decoder's own buffer by release_if_empty().
  // Until that call nothing else on this thread may use a read area: no suspension
  // (co_await) between read_area() and release_if_empty().
  std::span<char> read_area();
  void commit(std::size_t n);
  // Copies `bytes` in (tests, fuzzers, in-memory streams).
  void feed(std::string_view bytes);

  Next next(wire::Frame& out);
  // Like next(), but hands out the raw payload; valid until the next call.
  Next next_payload(std::string_view& payload);

  std::size_t buffered() const { return end_ - begin_; }
  // Ends a read: keeps an incomplete frame read into the scratch buffer (copied into
  // the decoder's own buffer), and frees the own buffer when nothing is buffered,
  // so an idle connection holds none.
  void release_if_empty();

  static constexpr std::size_t kScratchBytes = 64 * 1024;

 private:
  void reserve_own(std::size_t capacity);

  std::size_t max_frame_bytes_;
  std::unique_ptr<char[]> own_;  // the decoder's own buffer, not zero-filled
  std::size_t own_capacity_ = 0;
  char* data_ = nullptr;  // own_ or this thread's scratch buffer
  bool borrowed_ = false;
  std::size_t begin_ = 0;  // first unread byte
  std::size_t end_ = 0;    // one past the last committed byte
};

}  // namespace fastchat::protocol
