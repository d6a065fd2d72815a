#include "common/message_id.h"

#include <gtest/gtest.h>

#include <unordered_set>

namespace fastchat {
namespace {

TEST(MessageIdTest, RandomIdsDifferAndRoundTrip) {
  std::unordered_set<MessageId> seen;
  for (int i = 0; i < 1000; ++i) {
    MessageId id = MessageId::random();
    EXPECT_FALSE(id.is_zero());
    EXPECT_TRUE(seen.insert(id).second);
    EXPECT_EQ(MessageId::from_bytes(id.bytes()), id);
    EXPECT_EQ(MessageId::from_hex(id.to_hex()), id);
  }
}

TEST(MessageIdTest, TimeOrderedIdsSortByTimeAndDiffer) {
  const MessageId earlier = MessageId::time_ordered(0x0102030405);
  const MessageId later = MessageId::time_ordered(0x0102030406);
  EXPECT_EQ(earlier.bytes().substr(0, 6), std::string("\x00\x01\x02\x03\x04\x05", 6));
  EXPECT_LT(earlier, later);
  std::unordered_set<MessageId> seen;
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(seen.insert(MessageId::time_ordered(42)).second);  // 80 random bits each
  }
  EXPECT_LT(MessageId::time_ordered(), MessageId::time_ordered(~0ULL >> 16));
}

TEST(MessageIdTest, RejectsWrongSizes) {
  EXPECT_FALSE(MessageId::from_bytes("short"));
  EXPECT_FALSE(MessageId::from_bytes(std::string(17, 'x')));
  EXPECT_FALSE(MessageId::from_hex("zz"));
  EXPECT_FALSE(MessageId::from_hex(std::string(32, 'g')));
}

}  // namespace
}  // namespace fastchat
