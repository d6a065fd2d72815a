#include "common/seq_set.h"

#include <gtest/gtest.h>

namespace fastchat {
namespace {

TEST(SeqSetTest, OutOfOrderNumbersJoinThePrefixWhenTheGapCloses) {
  SeqSet seqs(2);
  EXPECT_TRUE(seqs.contains(1));
  EXPECT_TRUE(seqs.insert(5));
  EXPECT_TRUE(seqs.insert(4));
  EXPECT_EQ(seqs.floor(), 2u);
  EXPECT_TRUE(seqs.contains(5));
  EXPECT_FALSE(seqs.contains(3));
  EXPECT_TRUE(seqs.insert(3));
  EXPECT_EQ(seqs.floor(), 5u);
  EXPECT_EQ(seqs.ahead(), 0u);
  seqs.insert_up_to(9);
  EXPECT_TRUE(seqs.contains(9));
  seqs.reset(1);
  EXPECT_FALSE(seqs.contains(2));
}

TEST(SeqSetTest, RefusesToRememberMoreThanItsBoundButAlwaysExtendsThePrefix) {
  SeqSet seqs;
  for (std::uint64_t s = 2; s < 2 + SeqSet::kMaxAhead; ++s)
    ASSERT_TRUE(seqs.insert(s));
  EXPECT_TRUE(seqs.full());
  EXPECT_FALSE(seqs.insert(SeqSet::kMaxAhead + 10));
  EXPECT_FALSE(seqs.contains(SeqSet::kMaxAhead + 10));
  EXPECT_TRUE(seqs.insert(1));  // closes the gap: everything remembered joins the prefix
  EXPECT_EQ(seqs.floor(), 1 + SeqSet::kMaxAhead);
  EXPECT_FALSE(seqs.full());
}

}  // namespace
}  // namespace fastchat
