#include "protocol/frame_codec.h"

#include <google/protobuf/stubs/logging.h>

#include <cstring>

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

FrameDecoder::FrameDecoder(std::size_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}

std::span<char> FrameDecoder::prepare(std::size_t min_free) {
  if (begin_ == end_) begin_ = end_ = 0;
  if (buffer_.size() - end_ < min_free) {
    // Move unread bytes to the front before growing.
    if (begin_ > 0) {
      std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (buffer_.size() - end_ < min_free) buffer_.resize(end_ + min_free);
  }
  return {buffer_.data() + end_, buffer_.size() - end_};
}

void FrameDecoder::commit(std::size_t n) {
  end_ += n;
}

void FrameDecoder::release_if_empty() {
  if (begin_ != end_) return;
  begin_ = end_ = 0;
  std::vector<char>().swap(buffer_);
}

void FrameDecoder::feed(std::string_view bytes) {
  auto area = prepare(bytes.size());
  std::memcpy(area.data(), bytes.data(), bytes.size());
  commit(bytes.size());
}

FrameDecoder::Next FrameDecoder::next_payload(std::string_view& payload) {
  const std::size_t available = end_ - begin_;
  if (available < kLengthPrefixBytes) return Next::kNeedMore;
  const std::uint32_t length = get_be32(buffer_.data() + begin_);
  if (length > max_frame_bytes_) return Next::kTooLarge;
  if (available < kLengthPrefixBytes + length) return Next::kNeedMore;
  payload = {buffer_.data() + begin_ + kLengthPrefixBytes, length};
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
