#include "protocol/push_codec.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include "fastchat.pb.h"
#include "protocol/frame_codec.h"

namespace fastchat::protocol {

namespace {

using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedOutputStream;

constexpr std::uint32_t kFrameMessageTag = WireFormatLite::MakeTag(
    wire::Frame::kMessageFieldNumber, WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
constexpr std::uint32_t kSeqTag =
    WireFormatLite::MakeTag(wire::InboxMessage::kSeqFieldNumber, WireFormatLite::WIRETYPE_VARINT);
constexpr std::uint32_t kSealedKeyTag = WireFormatLite::MakeTag(
    wire::InboxMessage::kSealedKeyFieldNumber, WireFormatLite::WIRETYPE_LENGTH_DELIMITED);

// Room for the length prefix, the Frame.message tag and length, and the seq field.
constexpr std::size_t kMaxFixedHead = kLengthPrefixBytes + 2 * 5 + 5 + 10;

}  // namespace

PushEncoder::PushEncoder(std::string_view message_id, std::string_view sender,
                         std::uint64_t group_id, std::string_view body,
                         std::uint64_t server_time_ms) {
  wire::InboxMessage fields;
  fields.set_message_id(std::string(message_id));
  fields.set_sender(std::string(sender));
  fields.set_group_id(group_id);
  fields.set_body(std::string(body));
  fields.set_server_time_ms(server_time_ms);
  shared_ = std::make_shared<const std::string>(fields.SerializeAsString());
}

bool PushEncoder::append_head(std::string& out, std::uint64_t seq,
                              std::string_view sealed_key) const {
  std::size_t inner = shared_->size();
  if (seq != 0)
    inner += CodedOutputStream::VarintSize32(kSeqTag) + CodedOutputStream::VarintSize64(seq);
  if (!sealed_key.empty()) {
    inner += CodedOutputStream::VarintSize32(kSealedKeyTag) +
             CodedOutputStream::VarintSize32(static_cast<std::uint32_t>(sealed_key.size())) +
             sealed_key.size();
  }
  if (inner > kMaxFrameBytes) return false;
  const std::size_t frame = CodedOutputStream::VarintSize32(kFrameMessageTag) +
                            CodedOutputStream::VarintSize32(static_cast<std::uint32_t>(inner)) +
                            inner;
  if (frame > kMaxFrameBytes) return false;
  const std::size_t offset = out.size();
  out.resize(offset + kMaxFixedHead + 10 + sealed_key.size());
  auto* start = reinterpret_cast<std::uint8_t*>(out.data() + offset);
  auto* p = start;
  const auto length = static_cast<std::uint32_t>(frame);
  *p++ = static_cast<std::uint8_t>(length >> 24);
  *p++ = static_cast<std::uint8_t>(length >> 16);
  *p++ = static_cast<std::uint8_t>(length >> 8);
  *p++ = static_cast<std::uint8_t>(length);
  p = CodedOutputStream::WriteVarint32ToArray(kFrameMessageTag, p);
  p = CodedOutputStream::WriteVarint32ToArray(static_cast<std::uint32_t>(inner), p);
  if (seq != 0) {
    p = CodedOutputStream::WriteVarint32ToArray(kSeqTag, p);
    p = CodedOutputStream::WriteVarint64ToArray(seq, p);
  }
  if (!sealed_key.empty()) {
    p = CodedOutputStream::WriteVarint32ToArray(kSealedKeyTag, p);
    p = CodedOutputStream::WriteVarint32ToArray(static_cast<std::uint32_t>(sealed_key.size()), p);
    p = CodedOutputStream::WriteRawToArray(sealed_key.data(), static_cast<int>(sealed_key.size()),
                                           p);
  }
  out.resize(offset + static_cast<std::size_t>(p - start));
  return true;
}

bool PushEncoder::append_frame(std::string& out, std::uint64_t seq,
                               std::string_view sealed_key) const {
  if (!append_head(out, seq, sealed_key)) return false;
  out.append(*shared_);
  return true;
}

}  // namespace fastchat::protocol
