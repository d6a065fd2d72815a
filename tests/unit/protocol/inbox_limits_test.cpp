#include "protocol/inbox_limits.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace fastchat::protocol {
namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

wire::InboxMessage widest(std::size_t sender, std::size_t body, std::size_t sealed_key) {
  wire::InboxMessage message;
  message.set_seq(kMax);
  message.set_message_id(std::string(16, 'i'));
  message.set_sender(std::string(sender, 's'));
  message.set_group_id(kMax);
  message.set_body(std::string(body, 'b'));
  message.set_sealed_key(std::string(sealed_key, 'k'));
  message.set_server_time_ms(kMax);
  message.set_undeliverable(true);
  return message;
}

TEST(InboxLimitsTest, TheBoundIsNeverBelowTheEncodedSize) {
  for (std::size_t body : {0u, 1u, 127u, 128u, 16'383u, 16'384u, 983'040u}) {
    for (std::size_t wrap : {0u, 48u, 200u, 65'487u}) {
      EXPECT_GE(inbox_message_bound(32, body, wrap), widest(32, body, wrap).ByteSizeLong())
          << body << " " << wrap;
    }
  }
}

TEST(InboxLimitsTest, AMessageAtTheBoundFitsASyncPageWithAnyRequestId) {
  std::size_t body = 1000 * 1000;
  while (inbox_message_bound(32, body, 0) > kMaxInboxMessageBytes)
    --body;
  wire::Frame frame;
  frame.set_request_id(kMax);
  auto* page = frame.mutable_sync_page();
  *page->add_messages() = widest(32, body, 0);
  page->set_has_more(true);
  std::string out;
  EXPECT_TRUE(append_frame(out, frame));
  // and as a push
  wire::Frame push;
  *push.mutable_message() = widest(32, body, 0);
  EXPECT_TRUE(append_frame(out, push));
}

TEST(InboxLimitsTest, OnlyAMessageTooLargeForAnyFrameIsStripped) {
  auto small = widest(10, 100, 10);
  small.set_undeliverable(false);
  EXPECT_FALSE(strip_if_undeliverable(small));
  EXPECT_EQ(small.body().size(), 100u);

  auto huge = widest(10, kMaxFrameBytes, 10);
  huge.set_undeliverable(false);
  EXPECT_TRUE(strip_if_undeliverable(huge));
  EXPECT_TRUE(huge.body().empty());
  EXPECT_TRUE(huge.sealed_key().empty());
  EXPECT_TRUE(huge.undeliverable());
  EXPECT_EQ(huge.seq(), kMax);  // still says which seq to acknowledge
}

TEST(InboxLimitsTest, SyncPageItemBytesCountTagAndLength) {
  const auto message = widest(5, 300, 0);
  wire::SyncPage page;
  *page.add_messages() = message;
  EXPECT_EQ(sync_page_item_bytes(message), page.ByteSizeLong());
}

}  // namespace
}  // namespace fastchat::protocol
