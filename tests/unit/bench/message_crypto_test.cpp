// MessageCrypto: what the bench seals with E2EE v1 and v2 opens at the recipient, and
// what was tampered with, replayed or re-addressed does not (so the bench counts it as
// an error instead of a delivery).
#include "message_crypto.h"

#include <gtest/gtest.h>

#include "client/content.h"
#include "crypto/sodium_init.h"

namespace fastchat::bench {
namespace {

std::vector<BenchAccount> make_accounts(std::size_t n) {
  crypto::ensure_sodium();
  std::vector<BenchAccount> accounts;
  for (std::size_t i = 0; i < n; ++i)
    accounts.push_back(
        {bench_username(i), crypto::Identity::generate(), crypto::SecretBytes(32), "", ""});
  return accounts;
}

// The inbox item the server would deliver for `send` from `sender`.
wire::InboxMessage delivered(const wire::Send& send, const std::string& sender) {
  wire::InboxMessage item;
  item.set_seq(1);
  item.set_message_id(send.message_id());
  item.set_sender(sender);
  item.set_group_id(send.group_id());
  item.set_body(send.body());
  return item;
}

wire::Send direct(MessageCrypto& crypto, const std::vector<BenchAccount>& accounts,
                  std::uint32_t from, std::uint32_t to, const std::string& text) {
  const MessageId id = MessageId::time_ordered();
  auto content = client::make_content(id, accounts[from].username, accounts[to].username, 0, 1);
  content.set_text(text);
  wire::Send send;
  send.set_message_id(id.to_bytes());
  send.set_user(accounts[to].username);
  EXPECT_TRUE(crypto.seal_direct(from, to, content, send).is_ok());
  return send;
}

class MessageCryptoTest : public ::testing::TestWithParam<E2ee> {};

INSTANTIATE_TEST_SUITE_P(Versions, MessageCryptoTest, ::testing::Values(E2ee::kV1, E2ee::kV2),
                         [](const auto& info) { return std::string(e2ee_name(info.param)); });

TEST_P(MessageCryptoTest, DirectMessagesOpenBothWaysAndTamperingIsRefused) {
  const auto accounts = make_accounts(3);
  MessageCrypto crypto(GetParam(), accounts);
  ASSERT_TRUE(crypto.add_pairs({{0, 1}, {2, 1}}, 2).is_ok());
  EXPECT_EQ(crypto.sessions(), 2u);
  for (int round = 0; round < 3; ++round) {
    auto to_b = direct(crypto, accounts, 0, 1, "to b");
    auto to_a = direct(crypto, accounts, 1, 0, "to a");
    auto opened = crypto.open(1, 0, delivered(to_b, accounts[0].username));
    ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
    EXPECT_EQ(opened->text(), "to b");
    opened = crypto.open(0, 1, delivered(to_a, accounts[1].username));
    ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
    EXPECT_EQ(opened->text(), "to a");
  }
  auto send = direct(crypto, accounts, 0, 1, "flipped");
  auto item = delivered(send, accounts[0].username);
  item.mutable_body()->back() ^= 1;
  EXPECT_EQ(crypto.open(1, 0, item).code(), Code::kCrypto);
  // Re-attributed by the server to another sender that has keys with the recipient.
  item = delivered(direct(crypto, accounts, 2, 1, "from c"), accounts[0].username);
  EXPECT_FALSE(crypto.open(1, 0, item).is_ok());
  // No keys: not a crypto failure but a missing pair.
  EXPECT_EQ(crypto.open(0, 2, item).code(), Code::kNotFound);
}

TEST_P(MessageCryptoTest, GroupMessagesOpenForEveryMemberAndTamperingIsRefused) {
  const auto accounts = make_accounts(4);
  MessageCrypto crypto(GetParam(), accounts);
  const std::vector<std::uint32_t> members{0, 1, 2, 3};
  if (GetParam() == E2ee::kV1) {
    ASSERT_TRUE(crypto.add_pairs({{0, 1}, {0, 2}, {0, 3}}, 1).is_ok());
  }
  ASSERT_TRUE(crypto.add_group(77, members, {0}, 1).is_ok());
  const MessageId id = MessageId::time_ordered();
  auto content = client::make_content(id, accounts[0].username, "", 77, 1);
  content.set_text("hello group");
  wire::Send send;
  send.set_message_id(id.to_bytes());
  ASSERT_TRUE(crypto.seal_group(77, 0, content, send).is_ok());
  EXPECT_EQ(send.group_id(), 77u);
  if (GetParam() == E2ee::kV2) {
    EXPECT_TRUE(client::is_sender_key_body(send.body()));
    EXPECT_EQ(send.membership_seq(), 1u);
    EXPECT_EQ(send.key_wraps_size(), 0);
  } else {
    EXPECT_EQ(send.key_wraps_size(), 3);
  }
  for (std::uint32_t m = 1; m < 4; ++m) {
    auto item = delivered(send, accounts[0].username);
    if (GetParam() == E2ee::kV1)
      item.set_sealed_key(send.key_wraps(static_cast<int>(m - 1)).sealed_key());
    auto tampered = item;
    tampered.mutable_body()->back() ^= 1;  // v2: the signature
    EXPECT_EQ(crypto.open(m, 0, tampered).code(), Code::kCrypto) << m;
    auto opened = crypto.open(m, 0, item);
    ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
    EXPECT_EQ(opened->text(), "hello group");
    if (GetParam() == E2ee::kV2) {
      EXPECT_EQ(opened->membership_seq(), 1u);
      // Every message key is used once: a replay does not open again.
      EXPECT_EQ(crypto.open(m, 0, item).code(), Code::kCrypto) << m;
    }
  }
}

TEST(MessageCryptoNames, ParsesOnlyKnownVersions) {
  EXPECT_EQ(*parse_e2ee("v1"), E2ee::kV1);
  EXPECT_EQ(*parse_e2ee("v2"), E2ee::kV2);
  EXPECT_EQ(parse_e2ee("v3").code(), Code::kBadRequest);
  EXPECT_STREQ(e2ee_name(E2ee::kV2), "v2");
}

}  // namespace
}  // namespace fastchat::bench
