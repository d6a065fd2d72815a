// Signed membership records and the chain a client replays (crypto/membership.h).
#include "crypto/membership.h"

#include <gtest/gtest.h>

namespace fastchat::crypto {
namespace {

class MembershipTest : public ::testing::Test {
 protected:
  Identity alice_ = Identity::generate();
  Identity bob_ = Identity::generate();
  Identity carol_ = Identity::generate();
  static constexpr GroupId kGroup = 7;

  std::string key_of(std::string_view name) const {
    if (name == "alice") return std::string(alice_.sign_public_key());
    if (name == "bob") return std::string(bob_.sign_public_key());
    return std::string(carol_.sign_public_key());
  }
  const Identity& identity_of(std::string_view name) const {
    if (name == "alice") return alice_;
    if (name == "bob") return bob_;
    return carol_;
  }

  MembershipRecord make(const MembershipChain& chain, std::string_view actor,
                        MembershipAction action, std::string_view subject = {},
                        MemberList initial = {}) {
    auto record = chain.next(actor, action, subject, std::move(initial), 1000);
    EXPECT_TRUE(record) << record.status().to_string();
    sign_record(*record, identity_of(actor));
    return *record;
  }

  // A chain: alice creates {alice, bob}, adds carol, removes bob.
  std::vector<MembershipRecord> history() {
    MembershipChain chain(kGroup, 0, {}, {});
    std::vector<MembershipRecord> out;
    out.push_back(
        make(chain, "alice", MembershipAction::kCreate, {}, {{"alice", true}, {"bob", false}}));
    EXPECT_TRUE(chain.append(out.back(), key_of("alice")));
    out.push_back(make(chain, "alice", MembershipAction::kAdd, "carol"));
    EXPECT_TRUE(chain.append(out.back(), key_of("alice")));
    out.push_back(make(chain, "alice", MembershipAction::kRemove, "bob"));
    EXPECT_TRUE(chain.append(out.back(), key_of("alice")));
    return out;
  }
};

TEST_F(MembershipTest, ARecordRoundTripsAndVerifies) {
  auto records = history();
  for (const auto& r : records) {
    auto decoded = decode_record(encode_record(r));
    ASSERT_TRUE(decoded) << decoded.status().to_string();
    EXPECT_EQ(record_hash(*decoded), record_hash(r));
    EXPECT_TRUE(verify_record_signature(*decoded, key_of(r.actor)));
    EXPECT_FALSE(verify_record_signature(*decoded, key_of("bob")));
  }
}

TEST_F(MembershipTest, ReplayingTheChainGivesItsMembers) {
  MembershipChain chain;
  for (const auto& r : history())
    ASSERT_TRUE(chain.append(r, key_of(r.actor)));
  EXPECT_EQ(chain.seq(), 3u);
  EXPECT_EQ(chain.members(), (MemberList{{"alice", true}, {"carol", false}}));
}

TEST_F(MembershipTest, AnyAlteredByteIsRefused) {
  const auto records = history();
  const std::string bytes = encode_record(records[1]);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::string altered = bytes;
    altered[i] = static_cast<char>(altered[i] ^ 0x01);
    auto decoded = decode_record(altered);
    if (!decoded) continue;  // refused as malformed: fine
    MembershipChain chain;
    ASSERT_TRUE(chain.append(records[0], key_of("alice")));
    EXPECT_FALSE(chain.append(*decoded, key_of("alice"))) << "byte " << i;
  }
}

TEST_F(MembershipTest, ACutReplayedOrForkedChainIsRefused) {
  const auto records = history();
  MembershipChain chain;
  ASSERT_TRUE(chain.append(records[0], key_of("alice")));
  // Skipping a record (a dropped change).
  Status skipped = chain.append(records[2], key_of("alice"));
  EXPECT_EQ(skipped.code(), Code::kMembershipUnverified);
  // Replaying one seen already.
  ASSERT_TRUE(chain.append(records[1], key_of("alice")));
  EXPECT_EQ(chain.append(records[1], key_of("alice")).code(), Code::kMembershipUnverified);
  // A fork: another record 3, properly signed, after a different record 2.
  MembershipChain other;
  ASSERT_TRUE(other.append(records[0], key_of("alice")));
  auto fork2 = make(other, "alice", MembershipAction::kAdd, "dave");
  ASSERT_TRUE(other.append(fork2, key_of("alice")));
  auto fork3 = make(other, "alice", MembershipAction::kRemove, "bob");
  EXPECT_EQ(chain.append(fork3, key_of("alice")).code(), Code::kMembershipUnverified);
  EXPECT_EQ(chain.seq(), 2u);
}

TEST_F(MembershipTest, OnlyAdminsAddAndRemoveAndAListMustMatchTheChange) {
  const auto records = history();
  MembershipChain chain;
  ASSERT_TRUE(chain.append(records[0], key_of("alice")));
  // bob is no admin: his record verifies but is not allowed.
  MembershipRecord by_bob = records[1];
  by_bob.actor = "bob";
  sign_record(by_bob, bob_);
  EXPECT_EQ(chain.append(by_bob, key_of("bob")).code(), Code::kMembershipUnverified);
  // An admin's record whose list says more than its change (a ghost "mallory").
  MembershipRecord ghost = records[1];
  ghost.members_hash =
      members_hash({{"alice", true}, {"bob", false}, {"carol", false}, {"mallory", false}});
  sign_record(ghost, alice_);
  EXPECT_EQ(chain.append(ghost, key_of("alice")).code(), Code::kMembershipUnverified);
  // A record signed by someone else than its actor.
  MembershipRecord forged = records[1];
  sign_record(forged, carol_);
  EXPECT_EQ(chain.append(forged, key_of("alice")).code(), Code::kMembershipUnverified);
  EXPECT_TRUE(chain.append(records[1], key_of("alice")));
}

TEST_F(MembershipTest, WhenTheLastAdminLeavesTheLongestStandingMemberBecomesAdmin) {
  MembershipChain chain;
  for (const auto& r : history())
    ASSERT_TRUE(chain.append(r, key_of(r.actor)));
  auto leave = make(chain, "alice", MembershipAction::kLeave, "alice");
  ASSERT_TRUE(chain.append(leave, key_of("alice")));
  EXPECT_EQ(chain.members(), (MemberList{{"carol", true}}));
}

TEST_F(MembershipTest, MalformedRecordsAndMemberListsAreRefused) {
  EXPECT_FALSE(decode_record(""));
  EXPECT_FALSE(decode_record(std::string(300, 'x')));
  auto r = history()[0];
  std::string bytes = encode_record(r);
  EXPECT_FALSE(decode_record(bytes + "x"));
  EXPECT_FALSE(decode_record(bytes.substr(0, bytes.size() - 1)));
  auto members = decode_members(encode_members({{"alice", true}, {"bob", false}}));
  ASSERT_TRUE(members);
  EXPECT_EQ(members->size(), 2u);
  EXPECT_FALSE(decode_members(std::string("\xff\xff\xff\xff", 4)));
}

}  // namespace
}  // namespace fastchat::crypto
