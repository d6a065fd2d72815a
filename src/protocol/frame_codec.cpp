#include "protocol/frame_codec.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/wire_format_lite.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace fastchat::protocol {

namespace {

void put_be32(char* out, std::uint32_t v) {
  out[0] = static_cast<char>(v >> 24);
  out[1] = static_cast<char>(v >> 16);
  out[2] = static_cast<char>(v >> 8);
  out[3] = static_cast<char>(v);
}

std::uint32_t get_be32(const char* in) {
  const auto* p = reinterpret_cast<const unsigned char*>(in);
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

}  // namespace

void silence_protobuf_logging() {
  google::protobuf::SetLogHandler(nullptr);
}

bool append_frame(std::string& out, const wire::Frame& frame) {
  const std::size_t size = frame.ByteSizeLong();
  if (size > kMaxFrameBytes) return false;
  const std::size_t offset = out.size();
  out.resize(offset + kLengthPrefixBytes + size);
  put_be32(out.data() + offset, static_cast<std::uint32_t>(size));
  frame.SerializeWithCachedSizesToArray(
      reinterpret_cast<std::uint8_t*>(out.data() + offset + kLengthPrefixBytes));
  return true;
}

std::string encode_frame(const wire::Frame& frame) {
  std::string out;
  append_frame(out, frame);
  return out;
}

bool append_frame_of(std::string& out, std::uint64_t request_id, int field_number,
                     const google::protobuf::MessageLite& body) {
  using google::protobuf::internal::WireFormatLite;
  using google::protobuf::io::CodedOutputStream;
  const std::size_t body_size = body.ByteSizeLong();
  const auto body_tag =
      WireFormatLite::MakeTag(field_number, WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
  constexpr auto kRequestIdTag =
      WireFormatLite::MakeTag(wire::Frame::kRequestIdFieldNumber, WireFormatLite::WIRETYPE_VARINT);
  std::size_t size = CodedOutputStream::VarintSize32(body_tag) +
                     CodedOutputStream::VarintSize64(body_size) + body_size;
  if (request_id != 0) {
    size += CodedOutputStream::VarintSize32(kRequestIdTag) +
            CodedOutputStream::VarintSize64(request_id);
  }
  if (size > kMaxFrameBytes) return false;
  const std::size_t offset = out.size();
  out.resize(offset + kLengthPrefixBytes + size);
  put_be32(out.data() + offset, static_cast<std::uint32_t>(size));
  auto* p = reinterpret_cast<std::uint8_t*>(out.data() + offset + kLengthPrefixBytes);
  if (request_id != 0) {
    p = CodedOutputStream::WriteVarint32ToArray(kRequestIdTag, p);
    p = CodedOutputStream::WriteVarint64ToArray(request_id, p);
  }
  p = CodedOutputStream::WriteVarint32ToArray(body_tag, p);
  p = CodedOutputStream::WriteVarint32ToArray(static_cast<std::uint32_t>(body_size), p);
  body.SerializeWithCachedSizesToArray(p);
  return true;
}

FrameDecoder::FrameDecoder(std::size_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}

namespace {

// One per thread, created on first use: every synchronous reader of the thread reads
// into it, so reads allocate nothing and idle connections hold no buffer.
char* thread_scratch() {
  thread_local std::unique_ptr<char[]> scratch =
      std::make_unique_for_overwrite<char[]>(FrameDecoder::kScratchBytes);
  return scratch.get();
}

}  // namespace

FrameDecoder& FrameDecoder::operator=(FrameDecoder&& other) noexcept {
  if (this == &other) return *this;
  max_frame_bytes_ = other.max_frame_bytes_;
  own_ = std::move(other.own_);
  own_capacity_ = std::exchange(other.own_capacity_, 0);
  data_ = std::exchange(other.data_, nullptr);
  borrowed_ = std::exchange(other.borrowed_, false);
  begin_ = std::exchange(other.begin_, 0);
  end_ = std::exchange(other.end_, 0);
  return *this;
}

void FrameDecoder::reserve_own(std::size_t capacity) {
  auto fresh = std::make_unique_for_overwrite<char[]>(capacity);
  const std::size_t unread = end_ - begin_;
  if (unread > 0) std::memcpy(fresh.get(), data_ + begin_, unread);
  own_ = std::move(fresh);
  own_capacity_ = capacity;
  data_ = own_.get();
  borrowed_ = false;
  begin_ = 0;
  end_ = unread;
}

std::span<char> FrameDecoder::prepare(std::size_t min_free) {
  if (borrowed_) {
    // An unreleased read into the scratch buffer: keep its unread bytes.
    reserve_own(std::max(end_ - begin_ + min_free, std::size_t{4096}));
  }
  if (begin_ == end_) begin_ = end_ = 0;
  if (own_capacity_ - end_ < min_free) {
    if (begin_ > 0) {  // move unread bytes to the front before growing
      std::memmove(own_.get(), own_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (own_capacity_ - end_ < min_free) {
      reserve_own(std::max(end_ + min_free, own_capacity_ + own_capacity_ / 2));
    }
  }
  data_ = own_.get();
  return {data_ + end_, own_capacity_ - end_};
}

std::span<char> FrameDecoder::read_area() {
  if (begin_ == end_) {
    begin_ = end_ = 0;
    own_.reset();
    own_capacity_ = 0;
    data_ = thread_scratch();
    borrowed_ = true;
    return {data_, kScratchBytes};
  }
  // Part of a frame is buffered: read the rest (at least) into the own buffer.
  std::size_t want = 16 * 1024;
  const std::size_t unread = end_ - begin_;
  if (unread >= kLengthPrefixBytes) {
    const std::size_t frame = kLengthPrefixBytes + get_be32(data_ + begin_);
    if (frame <= kLengthPrefixBytes + max_frame_bytes_ && frame > unread) {
      want = std::max(want, frame - unread);
    }
  }
  return prepare(want);
}

void FrameDecoder::commit(std::size_t n) {
  end_ += n;
}

void FrameDecoder::release_if_empty() {
  if (begin_ == end_) {
    begin_ = end_ = 0;
    own_.reset();
    own_capacity_ = 0;
    data_ = nullptr;
    borrowed_ = false;
    return;
  }
  if (!borrowed_) return;
  // An incomplete frame in the scratch buffer: copy it out, with room for the rest.
  const std::size_t unread = end_ - begin_;
  std::size_t capacity = std::max(unread, std::size_t{4096});
  if (unread >= kLengthPrefixBytes) {
    const std::size_t frame = kLengthPrefixBytes + get_be32(data_ + begin_);
    if (frame <= kLengthPrefixBytes + max_frame_bytes_) capacity = std::max(capacity, frame);
  }
  reserve_own(capacity);
}

void FrameDecoder::feed(std::string_view bytes) {
  if (bytes.empty()) return;  // no area to copy into (memcpy of null is undefined)
  auto area = prepare(bytes.size());
  std::memcpy(area.data(), bytes.data(), bytes.size());
  commit(bytes.size());
}

FrameDecoder::Next FrameDecoder::next_payload(std::string_view& payload) {
  const std::size_t available = end_ - begin_;
  if (available < kLengthPrefixBytes) return Next::kNeedMore;
  const std::uint32_t length = get_be32(data_ + begin_);
  if (length > max_frame_bytes_) return Next::kTooLarge;
  if (available < kLengthPrefixBytes + length) return Next::kNeedMore;
  payload = {data_ + begin_ + kLengthPrefixBytes, length};
  begin_ += kLengthPrefixBytes + length;
  return Next::kFrame;
}

FrameDecoder::Next FrameDecoder::next(wire::Frame& out) {
  std::string_view payload;
  const Next result = next_payload(payload);
  if (result != Next::kFrame) return result;
  if (!out.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return Next::kMalformed;
  }
  return Next::kFrame;
}

}  // namespace fastchat::protocol
