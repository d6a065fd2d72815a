#include "server/sent_seqs.h"

#include <gtest/gtest.h>

namespace fastchat::server {
namespace {

TEST(SentSeqs, AtLoginAckedSeqsAreSentAndTheLoginSyncCoversTheRest) {
  SentSeqs seqs;
  seqs.reset(/*acked=*/3, /*login_head=*/7);
  EXPECT_TRUE(seqs.sent(3));
  EXPECT_FALSE(seqs.sent(4));    // a live push of 4 still goes out
  EXPECT_TRUE(seqs.covered(7));  // but a replay or catch-up leaves it to the Sync
  EXPECT_FALSE(seqs.covered(8));
  EXPECT_EQ(seqs.covered_prefix(), 7u);
}

TEST(SentSeqs, PushesFromSeveralServersArriveOutOfOrder) {
  SentSeqs seqs;
  seqs.reset(0, 0);
  seqs.mark(1);
  seqs.mark(3);  // committed on this server, ahead of 2 from another one
  EXPECT_TRUE(seqs.sent(3));
  EXPECT_FALSE(seqs.sent(2));  // a highest-seq-sent mark would drop 2
  EXPECT_EQ(seqs.floor(), 1u);
  seqs.mark(2);
  EXPECT_EQ(seqs.floor(), 3u);
  EXPECT_EQ(seqs.ahead(), 0u);
}

TEST(SentSeqs, ASyncPageOrAnAckCoversARange) {
  SentSeqs seqs;
  seqs.reset(0, 10);
  seqs.mark(12);        // pushed while the login Sync was still reading
  seqs.mark_up_to(11);  // the page held everything after 0 up to 11
  EXPECT_EQ(seqs.floor(), 12u);
  EXPECT_EQ(seqs.covered_prefix(), 12u);
  seqs.mark_up_to(5);  // never goes back
  EXPECT_EQ(seqs.floor(), 12u);
}

TEST(SentSeqs, BeyondTheLimitItForgetsRatherThanClaims) {
  SentSeqs seqs;
  seqs.reset(0, 0);
  for (std::uint64_t s = 2; s < 2 + SentSeqs::kMaxAhead + 10; ++s)
    seqs.mark(s);
  EXPECT_EQ(seqs.ahead(), SentSeqs::kMaxAhead);
  EXPECT_FALSE(seqs.sent(1));
  EXPECT_FALSE(seqs.sent(2 + SentSeqs::kMaxAhead + 5));  // forgotten: may be sent again
  seqs.mark(1);
  EXPECT_EQ(seqs.floor(), 1 + SentSeqs::kMaxAhead);
}

}  // namespace
}  // namespace fastchat::server
