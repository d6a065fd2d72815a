#include "client/content.h"

#include <gtest/gtest.h>

#include "crypto/identity.h"

namespace fastchat::client {
namespace {

class ContentTest : public ::testing::Test {
 protected:
  crypto::SharedKey key(const crypto::Identity& me, const crypto::Identity& them) {
    auto k = crypto::SharedKey::derive(them.box_public_key(), me.box_secret_key());
    EXPECT_TRUE(k);
    return std::move(*k);
  }

  // What the server would deliver to bob for a direct message alice sealed.
  wire::InboxMessage direct_item(const wire::Content& content) {
    wire::InboxMessage item;
    item.set_seq(1);
    item.set_message_id(content.message_id());
    item.set_sender("alice");
    item.set_body(seal_direct_content(key(alice_, bob_), content));
    return item;
  }

  crypto::Identity alice_ = crypto::Identity::generate();
  crypto::Identity bob_ = crypto::Identity::generate();
  crypto::Identity carol_ = crypto::Identity::generate();
  MessageId id_ = MessageId::random();
};

TEST_F(ContentTest, GroupAssociatedDataLayout) {
  const std::string ad = group_associated_data(0x0102030405060708ULL, id_);
  ASSERT_EQ(ad.size(), 17u + 8u + 16u);
  EXPECT_EQ(ad.substr(0, 17), "fastchat/group/v1");
  EXPECT_EQ(ad.substr(17, 8), std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  EXPECT_EQ(ad.substr(25), id_.to_bytes());
}

TEST_F(ContentTest, DirectRoundTrip) {
  auto content = make_content(id_, "alice", "bob", 0, 1234);
  content.set_text("hello bob");
  auto item = direct_item(content);
  EXPECT_EQ(item.body().find("hello bob"), std::string::npos);  // sealed
  auto opened = open_content(key(bob_, alice_), item, "bob");
  ASSERT_TRUE(opened) << opened.status().to_string();
  EXPECT_EQ(opened->text(), "hello bob");
  EXPECT_EQ(opened->sent_at_ms(), 1234u);
}

TEST_F(ContentTest, DirectRejectsReroutedFields) {
  auto content = make_content(id_, "alice", "bob", 0, 1);
  content.set_text("x");

  auto other_id = direct_item(content);
  other_id.set_message_id(MessageId::random().to_bytes());  // replayed under a new id
  EXPECT_EQ(open_content(key(bob_, alice_), other_id, "bob").code(), Code::kCrypto);

  // Alice sealed it for bob; the server hands it to carol as from alice: carol's key
  // with alice does not open it.
  auto to_carol = direct_item(content);
  EXPECT_EQ(open_content(key(carol_, alice_), to_carol, "carol").code(), Code::kCrypto);

  // Even with the right key, a message whose sealed recipient is someone else is refused.
  auto for_carol = make_content(id_, "alice", "carol", 0, 1);
  for_carol.set_text("x");
  EXPECT_EQ(open_content(key(bob_, alice_), direct_item(for_carol), "bob").code(), Code::kCrypto);

  // Re-attributed to another sender (whose key is used to open it).
  auto wrong_sender = direct_item(content);
  wrong_sender.set_sender("mallory");
  EXPECT_EQ(open_content(key(bob_, alice_), wrong_sender, "bob").code(), Code::kCrypto);

  // Moved into a group.
  auto into_group = direct_item(content);
  into_group.set_group_id(9);
  EXPECT_EQ(open_content(key(bob_, alice_), into_group, "bob").code(), Code::kCrypto);

  // Flipped ciphertext.
  auto tampered = direct_item(content);
  tampered.mutable_body()->back() ^= 1;
  EXPECT_EQ(open_content(key(bob_, alice_), tampered, "bob").code(), Code::kCrypto);
}

TEST_F(ContentTest, GroupRoundTripForEveryMember) {
  auto content = make_content(id_, "alice", "", 42, 5);
  content.set_text("hello group");
  auto to_bob = key(alice_, bob_);
  auto to_carol = key(alice_, carol_);
  const crypto::SharedKey* recipients[] = {&to_bob, &to_carol};
  auto sealed = seal_group_content(recipients, content);
  ASSERT_EQ(sealed.wraps.size(), 2u);

  struct Member {
    const crypto::Identity& id;
    std::string name;
    std::size_t wrap;
  };
  for (const Member& m : {Member{bob_, "bob", 0}, Member{carol_, "carol", 1}}) {
    wire::InboxMessage item;
    item.set_message_id(id_.to_bytes());
    item.set_sender("alice");
    item.set_group_id(42);
    item.set_body(sealed.body);
    item.set_sealed_key(sealed.wraps[m.wrap]);
    auto opened = open_content(key(m.id, alice_), item, m.name);
    ASSERT_TRUE(opened) << m.name << ": " << opened.status().to_string();
    EXPECT_EQ(opened->text(), "hello group");
    EXPECT_EQ(opened->group_id(), 42u);
  }
}

TEST_F(ContentTest, GroupRejectsReroutedFields) {
  auto content = make_content(id_, "alice", "", 42, 5);
  content.set_text("x");
  auto to_bob = key(alice_, bob_);
  const crypto::SharedKey* recipients[] = {&to_bob};
  auto sealed = seal_group_content(recipients, content);
  auto item = [&] {
    wire::InboxMessage i;
    i.set_message_id(id_.to_bytes());
    i.set_sender("alice");
    i.set_group_id(42);
    i.set_body(sealed.body);
    i.set_sealed_key(sealed.wraps[0]);
    return i;
  };
  ASSERT_TRUE(open_content(key(bob_, alice_), item(), "bob"));

  auto other_group = item();
  other_group.set_group_id(43);
  EXPECT_EQ(open_content(key(bob_, alice_), other_group, "bob").code(), Code::kCrypto);
  auto other_id = item();
  other_id.set_message_id(MessageId::random().to_bytes());
  EXPECT_EQ(open_content(key(bob_, alice_), other_id, "bob").code(), Code::kCrypto);
  auto as_direct = item();
  as_direct.set_group_id(0);
  EXPECT_EQ(open_content(key(bob_, alice_), as_direct, "bob").code(), Code::kCrypto);
  auto wrong_sender = item();
  wrong_sender.set_sender("carol");
  EXPECT_EQ(open_content(key(bob_, alice_), wrong_sender, "bob").code(), Code::kCrypto);
  auto bad_id = item();
  bad_id.set_message_id("short");
  EXPECT_EQ(open_content(key(bob_, alice_), bad_id, "bob").code(), Code::kCrypto);
}

TEST_F(ContentTest, ContentWithoutPayloadIsRejected) {
  auto content = make_content(id_, "alice", "bob", 0, 1);  // neither text nor file
  EXPECT_EQ(open_content(key(bob_, alice_), direct_item(content), "bob").code(), Code::kCrypto);
}

}  // namespace
}  // namespace fastchat::client
