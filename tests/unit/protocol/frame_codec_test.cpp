#include "protocol/frame_codec.h"

#include <gtest/gtest.h>

#include <random>

#include "protocol/push_codec.h"

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
  for (std::uint64_t i = 1; i <= 50; ++i)
    ASSERT_TRUE(append_frame(out, make_send(i, i * 10)));
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
    while (decoder.next(frame) == FrameDecoder::Next::kFrame)
      ids.push_back(frame.request_id());
  }
  EXPECT_EQ(ids, (std::vector<std::uint64_t>{7, 8}));
}

TEST(FrameCodecTest, RandomSplitsDeliverEveryFrameInOrder) {
  std::string bytes;
  for (std::uint64_t i = 1; i <= 200; ++i)
    append_frame(bytes, make_send(i, (i * 37) % 5000));
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

// A reader's synchronous reads through read_area(): frames come straight from the
// thread's scratch buffer; an incomplete tail survives release_if_empty() and other
// decoders using the same scratch meanwhile.
TEST(FrameCodecTest, ReadAreaKeepsIncompleteTailsAcrossDecoders) {
  std::string a_bytes, b_bytes;
  for (std::uint64_t i = 1; i <= 300; ++i) {
    append_frame(a_bytes, make_send(i, (i * 53) % 3000));
    append_frame(b_bytes, make_send(1000 + i, (i * 31) % 70000));
  }
  std::mt19937 rng(99);
  FrameDecoder a, b;
  std::size_t a_pos = 0, b_pos = 0;
  std::uint64_t a_next = 1, b_next = 1001;
  wire::Frame frame;
  auto step = [&](FrameDecoder& d, const std::string& bytes, std::size_t& pos,
                  std::uint64_t& expected) {
    auto area = d.read_area();
    ASSERT_GT(area.size(), 0u);
    const std::size_t n =
        std::min({bytes.size() - pos, area.size(), std::size_t{1 + rng() % 90000}});
    std::copy_n(bytes.data() + pos, n, area.data());
    d.commit(n);
    pos += n;
    while (d.next(frame) == FrameDecoder::Next::kFrame)
      EXPECT_EQ(frame.request_id(), expected++);
    d.release_if_empty();
  };
  while (a_pos < a_bytes.size() || b_pos < b_bytes.size()) {
    if (a_pos < a_bytes.size()) step(a, a_bytes, a_pos, a_next);
    if (b_pos < b_bytes.size()) step(b, b_bytes, b_pos, b_next);
  }
  EXPECT_EQ(a_next, 301u);
  EXPECT_EQ(b_next, 1301u);
  EXPECT_EQ(a.buffered(), 0u);
  EXPECT_EQ(b.buffered(), 0u);
}

TEST(FrameCodecTest, FeedAfterUnreleasedReadAreaKeepsBytes) {
  const std::string bytes = encode_frame(make_send(5, 100)) + encode_frame(make_send(6, 100));
  FrameDecoder decoder;
  auto area = decoder.read_area();
  std::copy_n(bytes.data(), 10, area.data());
  decoder.commit(10);
  decoder.feed(std::string_view(bytes).substr(10));  // without release_if_empty()
  wire::Frame frame;
  ASSERT_EQ(decoder.next(frame), FrameDecoder::Next::kFrame);
  EXPECT_EQ(frame.request_id(), 5u);
  ASSERT_EQ(decoder.next(frame), FrameDecoder::Next::kFrame);
  EXPECT_EQ(frame.request_id(), 6u);
}

TEST(FrameCodecTest, AppendFrameOfEqualsAFullFrame) {
  wire::SendOk ok;
  ok.set_message_id(std::string(16, 'm'));
  ok.set_server_time_ms(1'700'000'000'123);
  ok.set_duplicate(true);
  wire::Frame full;
  full.set_request_id(77);
  *full.mutable_send_ok() = ok;
  std::string out = "x";
  ASSERT_TRUE(append_frame_of(out, 77, wire::Frame::kSendOkFieldNumber, ok));
  EXPECT_EQ(out, "x" + encode_frame(full));
  std::string empty_ok;
  ASSERT_TRUE(append_frame_of(empty_ok, 3, wire::Frame::kOkFieldNumber, wire::Ok()));
  FrameDecoder decoder;
  decoder.feed(empty_ok);
  wire::Frame frame;
  ASSERT_EQ(decoder.next(frame), FrameDecoder::Next::kFrame);
  EXPECT_EQ(frame.request_id(), 3u);
  EXPECT_TRUE(frame.has_ok());
}

TEST(PushEncoderTest, HeadPlusSharedFieldsParseAsTheWholePush) {
  const std::string body(5000, 'b');
  const PushEncoder push(std::string(16, 'i'), "alice", 42, body, 1'700'000'000'000);
  for (const std::uint64_t seq : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{1} << 40}) {
    for (const std::string& key : {std::string(), std::string(80, 'k')}) {
      std::string out;
      ASSERT_TRUE(push.append_head(out, seq, key));
      out += *push.shared_fields();
      std::string whole;
      ASSERT_TRUE(push.append_frame(whole, seq, key));
      EXPECT_EQ(out, whole);
      FrameDecoder decoder;
      decoder.feed(out);
      wire::Frame frame;
      ASSERT_EQ(decoder.next(frame), FrameDecoder::Next::kFrame);
      EXPECT_EQ(decoder.buffered(), 0u);
      wire::Frame expected;
      auto* m = expected.mutable_message();
      m->set_seq(seq);
      m->set_message_id(std::string(16, 'i'));
      m->set_sender("alice");
      m->set_group_id(42);
      m->set_body(body);
      m->set_sealed_key(key);
      m->set_server_time_ms(1'700'000'000'000);
      EXPECT_EQ(frame.SerializeAsString(), expected.SerializeAsString());
    }
  }
}

TEST(PushEncoderTest, RefusesOversizedPush) {
  const PushEncoder push(std::string(16, 'i'), "alice", 0, std::string(kMaxFrameBytes - 40, 'b'),
                         1);
  std::string out = "keep";
  EXPECT_FALSE(push.append_head(out, 1, std::string(100, 'k')));
  EXPECT_EQ(out, "keep");
}

}  // namespace
}  // namespace fastchat::protocol
