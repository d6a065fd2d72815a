#include "protocol/frame_codec.h"

#include <gtest/gtest.h>

#include <random>

namespace fastchat::protocol {
namespace {

wire::Frame make_send(std::uint64_t request_id, std::size_t body_size) {
  wire::Frame frame;
  frame.set_request_id(request_id);
  auto* send = frame.mutable_send();
  send->set_message_id(std::string(16, 'i'));
  send->set_user("bob");
  send->set_body(std::string(body_size, 'b'));
  return frame;
}

TEST(FrameCodecTest, RoundTripsManyFramesInOneBuffer) {
  std::string out;
  for (std::uint64_t i = 1; i <= 50; ++i) ASSERT_TRUE(append_frame(out, make_send(i, i * 10)));
  FrameDecoder decoder;
  decoder.feed(out);
  wire::Frame frame;
  for (std::uint64_t i = 1; i <= 50; ++i) {
    ASSERT_EQ(decoder.next(frame), FrameDecoder::Next::kFrame);
    EXPECT_EQ(frame.request_id(), i);
    EXPECT_EQ(frame.send().body().size(), i * 10);
  }
  EXPECT_EQ(decoder.next(frame), FrameDecoder::Next::kNeedMore);
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(FrameCodecTest, ReassemblesFramesSplitAtEveryByte) {
  const std::string bytes = encode_frame(make_send(7, 300)) + encode_frame(make_send(8, 5));
  FrameDecoder decoder;
  wire::Frame frame;
  std::vector<std::uint64_t> ids;
  for (char c : bytes) {
    decoder.feed(std::string_view(&c, 1));
    while (decoder.next(frame) == FrameDecoder::Next::kFrame) ids.push_back(frame.request_id());
  }
  EXPECT_EQ(ids, (std::vector<std::uint64_t>{7, 8}));
}

TEST(FrameCodecTest, RandomSplitsDeliverEveryFrameInOrder) {
  std::string bytes;
  for (std::uint64_t i = 1; i <= 200; ++i) append_frame(bytes, make_send(i, (i * 37) % 5000));
  std::mt19937 rng(1234);
  FrameDecoder decoder;
  wire::Frame frame;
  std::uint64_t expected = 1;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    const std::size_t n = std::min<std::size_t>(bytes.size() - pos, 1 + rng() % 9000);
    auto area = decoder.prepare(n);
    std::copy_n(bytes.data() + pos, n, area.data());
    decoder.commit(n);
    pos += n;
    while (decoder.next(frame) == FrameDecoder::Next::kFrame) {
      EXPECT_EQ(frame.request_id(), expected++);
    }
  }
  EXPECT_EQ(expected, 201u);
}

TEST(FrameCodecTest, RefusesToEncodeOversizedFrame) {
  std::string out = "keep";
  EXPECT_FALSE(append_frame(out, make_send(1, kMaxFrameBytes + 1)));
  EXPECT_EQ(out, "keep");
}

TEST(FrameCodecTest, ReportsOversizedLengthPrefixBeforeReadingPayload) {
  FrameDecoder decoder;
  const std::uint32_t too_big = kMaxFrameBytes + 1;
  const char prefix[4] = {static_cast<char>(too_big >> 24), static_cast<char>(too_big >> 16),
                          static_cast<char>(too_big >> 8), static_cast<char>(too_big)};
  decoder.feed(std::string_view(prefix, 4));
  wire::Frame frame;
  EXPECT_EQ(decoder.next(frame), FrameDecoder::Next::kTooLarge);
}

TEST(FrameCodecTest, ReportsGarbagePayloadAsMalformed) {
  FrameDecoder decoder;
  const std::string garbage = "\xff\xff\xff\xff\xff\xff";
  decoder.feed(std::string("\0\0\0\x06", 4) + garbage);
  wire::Frame frame;
  EXPECT_EQ(decoder.next(frame), FrameDecoder::Next::kMalformed);
}

TEST(FrameCodecTest, TruncatedFrameWaitsForMore) {
  const std::string bytes = encode_frame(make_send(3, 100));
  FrameDecoder decoder;
  decoder.feed(std::string_view(bytes).substr(0, bytes.size() - 1));
  wire::Frame frame;
  EXPECT_EQ(decoder.next(frame), FrameDecoder::Next::kNeedMore);
  decoder.feed(std::string_view(bytes).substr(bytes.size() - 1));
  EXPECT_EQ(decoder.next(frame), FrameDecoder::Next::kFrame);
  EXPECT_EQ(frame.request_id(), 3u);
}

TEST(FrameCodecTest, EmptyFrameIsValid) {
  FrameDecoder decoder;
  decoder.feed(encode_frame(wire::Frame()));
  wire::Frame frame;
  ASSERT_EQ(decoder.next(frame), FrameDecoder::Next::kFrame);
  EXPECT_EQ(frame.body_case(), wire::Frame::BODY_NOT_SET);
}

}  // namespace
}  // namespace fastchat::protocol
