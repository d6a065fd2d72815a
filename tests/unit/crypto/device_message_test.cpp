// Per-device 1:1 bodies (crypto/device_message.h): one form per body, strict decoding,
// and the ratchet binding the device ids so a body cannot be re-addressed.
#include "crypto/device_message.h"

#include <gtest/gtest.h>

#include "crypto/ratchet_message.h"
#include "e2ee_test_util.h"

namespace fastchat::crypto {
namespace {

using testing::kNow;
using testing::TestDevice;

std::string ratchet_like(char fill) {
  return std::string(1, char(kRatchetMessageV1)) + fill;
}

DeviceMessage two_devices() {
  DeviceMessage m;
  m.sender_device = 7;
  m.entries.push_back({DeviceOwner::kSender, 3, ratchet_like('s')});
  m.entries.push_back({DeviceOwner::kRecipient, 9, ratchet_like('b')});
  m.entries.push_back({DeviceOwner::kRecipient, 2, std::string(1, char(kPrekeyMessageV1)) + "p"});
  return m;
}

TEST(DeviceMessageTest, RoundTripsSortedAndFindsEachDevice) {
  auto bytes = encode_device_message(two_devices());
  ASSERT_TRUE(bytes) << bytes.status().to_string();
  EXPECT_EQ(static_cast<unsigned char>((*bytes)[0]), kDeviceMessageV1);
  auto back = decode_device_message(*bytes);
  ASSERT_TRUE(back) << back.status().to_string();
  EXPECT_EQ(back->sender_device, 7u);
  ASSERT_EQ(back->entries.size(), 3u);
  EXPECT_EQ(back->entries[0].device_id, 2u);  // recipients first, by device id
  EXPECT_EQ(back->entries[1].device_id, 9u);
  EXPECT_EQ(back->entries[2].to, DeviceOwner::kSender);
  ASSERT_NE(back->find(DeviceOwner::kRecipient, 9), nullptr);
  EXPECT_EQ(back->find(DeviceOwner::kRecipient, 9)->message, ratchet_like('b'));
  EXPECT_EQ(back->find(DeviceOwner::kRecipient, 3), nullptr);  // 3 is the sender's
  EXPECT_EQ(*encode_device_message(*back), *bytes);
}

TEST(DeviceMessageTest, EncodingRefusesWhatADecoderWouldRefuse) {
  DeviceMessage none;
  none.sender_device = 1;
  EXPECT_EQ(encode_device_message(none).code(), Code::kCrypto);
  auto zero_sender = two_devices();
  zero_sender.sender_device = 0;
  EXPECT_EQ(encode_device_message(zero_sender).code(), Code::kCrypto);
  auto repeated = two_devices();
  repeated.entries.push_back({DeviceOwner::kRecipient, 9, ratchet_like('x')});
  EXPECT_EQ(encode_device_message(repeated).code(), Code::kCrypto);
  auto zero_device = two_devices();
  zero_device.entries[0].device_id = 0;
  EXPECT_EQ(encode_device_message(zero_device).code(), Code::kCrypto);
  auto not_ratchet = two_devices();
  not_ratchet.entries[1].message = "\x01 a v1 envelope";
  EXPECT_EQ(encode_device_message(not_ratchet).code(), Code::kCrypto);
  DeviceMessage many;
  many.sender_device = 1;
  for (std::uint32_t d = 1; d <= kMaxDeviceEntries + 1; ++d)
    many.entries.push_back({DeviceOwner::kRecipient, d, ratchet_like('m')});
  EXPECT_EQ(encode_device_message(many).code(), Code::kCrypto);
}

TEST(DeviceMessageTest, DecodingRefusesEveryMalformedForm) {
  const std::string good = *encode_device_message(two_devices());
  for (std::size_t cut = 0; cut < good.size(); ++cut)
    EXPECT_EQ(decode_device_message(good.substr(0, cut)).code(), Code::kCrypto) << cut;
  EXPECT_EQ(decode_device_message(good + "x").code(), Code::kCrypto);
  std::string wrong_tag = good;
  wrong_tag[0] = char(kRatchetMessageV1);
  EXPECT_EQ(decode_device_message(wrong_tag).code(), Code::kCrypto);
  std::string unsorted = good;  // swap the first two entries' device ids (2 and 9)
  unsorted[1 + 4 + 1 + 1 + 3] = 9;
  EXPECT_EQ(decode_device_message(unsorted).code(), Code::kCrypto);
  std::string unknown_owner = good;
  unknown_owner[1 + 4 + 1] = 2;
  EXPECT_EQ(decode_device_message(unknown_owner).code(), Code::kCrypto);
  std::string zero_count = good;
  zero_count[1 + 4] = 0;
  EXPECT_EQ(decode_device_message(zero_count).code(), Code::kCrypto);
}

// What makes the unauthenticated sender device safe: the session's associated data
// names both devices, so the same bytes from "another device" of the sender fail.
TEST(DeviceMessageTest, ARatchetMessageReaddressedToAnotherSenderDeviceDoesNotDecrypt) {
  TestDevice alice("alice", 7), bob("bob", 9);
  PeerSessions alice_to_bob = alice.sessions_with(bob);
  ASSERT_TRUE(alice_to_bob.start(alice.local(), bob.bundle()));
  const std::string first = *alice_to_bob.encrypt("hello");

  // Failed tries change nothing (PeerSessions::decrypt is transactional).
  PeerSessions from_device_8(DeviceAddress{"alice", 8},
                             std::string(alice.identity.sign_public_key()),
                             std::string(alice.identity.box_public_key()));
  EXPECT_EQ(from_device_8.decrypt(bob.local(), bob.prekeys, first, kNow).code(), Code::kCrypto);
  const LocalDevice bob_as_device_10{bob.identity, DeviceAddress{"bob", 10}};
  PeerSessions at_device_10 = bob.sessions_with(alice);
  EXPECT_EQ(at_device_10.decrypt(bob_as_device_10, bob.prekeys, first, kNow).code(), Code::kCrypto);

  PeerSessions right = bob.sessions_with(alice);
  auto plain = right.decrypt(bob.local(), bob.prekeys, first, kNow);
  ASSERT_TRUE(plain) << plain.status().to_string();
  EXPECT_EQ(*plain, "hello");
}

}  // namespace
}  // namespace fastchat::crypto
