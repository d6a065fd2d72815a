#include "client/inbox_cursor.h"

#include <gtest/gtest.h>

namespace fastchat::client {
namespace {

TEST(InboxCursorTest, AdvancesOnlyOverAContiguousPrefix) {
  InboxCursor cursor(10, 10);
  EXPECT_FALSE(cursor.needs_ack());
  cursor.mark_done(12);  // a push ahead of a sync still catching up
  cursor.mark_done(13);
  EXPECT_EQ(cursor.processed(), 10u);
  EXPECT_TRUE(cursor.is_done(12));
  EXPECT_FALSE(cursor.is_done(11));
  EXPECT_FALSE(cursor.needs_ack());
  cursor.mark_done(11);  // the gap closes
  EXPECT_EQ(cursor.processed(), 13u);
  EXPECT_TRUE(cursor.needs_ack());
  cursor.set_acked(13);
  EXPECT_FALSE(cursor.needs_ack());
}

TEST(InboxCursorTest, OldAndRepeatedSeqsAreDone) {
  InboxCursor cursor(5);
  EXPECT_TRUE(cursor.is_done(1));
  EXPECT_TRUE(cursor.is_done(5));
  cursor.mark_done(3);
  cursor.mark_done(6);
  cursor.mark_done(6);
  EXPECT_EQ(cursor.processed(), 6u);
}

TEST(InboxCursorTest, ASyncPageCoversItsWholeRange) {
  InboxCursor cursor(0);
  cursor.mark_done(9);  // pushed ahead
  cursor.mark_done(12);
  // A page returned seqs 1..10 (with no 4: it does not exist).
  cursor.mark_range_done(10);
  EXPECT_EQ(cursor.processed(), 10u);
  EXPECT_FALSE(cursor.is_done(11));
  EXPECT_TRUE(cursor.is_done(12));
  cursor.mark_done(11);
  EXPECT_EQ(cursor.processed(), 12u);
  cursor.mark_range_done(4);  // never goes back
  EXPECT_EQ(cursor.processed(), 12u);
}

TEST(InboxCursorTest, AckNeverGoesBackwards) {
  InboxCursor cursor(0);
  cursor.mark_range_done(20);
  cursor.set_acked(20);
  cursor.set_acked(7);
  EXPECT_EQ(cursor.acked(), 20u);
}

TEST(InboxCursorTest, AskForASyncWhenTooManyWaitForAGap) {
  InboxCursor cursor(0);
  for (std::uint64_t seq = 2; seq < 2 + InboxCursor::kMaxAhead; ++seq)
    cursor.mark_done(seq);
  EXPECT_TRUE(cursor.needs_sync());
  cursor.mark_done(1);
  EXPECT_EQ(cursor.processed(), 1 + InboxCursor::kMaxAhead);
  EXPECT_FALSE(cursor.needs_sync());
}

}  // namespace
}  // namespace fastchat::client
