#include "ledger.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "payload.h"

namespace fastchat::bench {
namespace {

using Delivery = DeliveryLedger::Delivery;

TEST(DeliveryLedger, EveryAcknowledgedDeliveryArrivedOnce) {
  DeliveryLedger ledger;
  const auto a = ledger.reserve(1);
  const auto g = ledger.reserve(3);  // a group message to three members
  ledger.acknowledge(a, 1);
  ledger.acknowledge(g, 3);
  EXPECT_EQ(ledger.deliver(a), Delivery::kFirst);
  for (std::uint32_t i = 0; i < 3; ++i)
    EXPECT_EQ(ledger.deliver(g + i), Delivery::kFirst);
  const auto t = ledger.tally();
  EXPECT_EQ(t.expected, 4u);
  EXPECT_EQ(t.delivered, 4u);
  EXPECT_EQ(t.lost, 0u);
  EXPECT_EQ(t.duplicated, 0u);
}

TEST(DeliveryLedger, FlagsALoss) {
  DeliveryLedger ledger;
  const auto g = ledger.reserve(3);
  ledger.acknowledge(g, 3);
  ledger.deliver(g);
  ledger.deliver(g + 2);  // member 1 never got it
  const auto t = ledger.tally();
  EXPECT_EQ(t.lost, 1u);
  EXPECT_EQ(t.delivered, 2u);
}

TEST(DeliveryLedger, FlagsADuplicate) {
  DeliveryLedger ledger;
  const auto a = ledger.reserve(1);
  ledger.acknowledge(a, 1);
  EXPECT_EQ(ledger.deliver(a), Delivery::kFirst);
  EXPECT_EQ(ledger.deliver(a), Delivery::kDuplicate);
  EXPECT_EQ(ledger.deliver(a), Delivery::kDuplicate);
  const auto t = ledger.tally();
  EXPECT_EQ(t.duplicated, 2u);
  EXPECT_EQ(t.lost, 0u);
  EXPECT_EQ(ledger.first_deliveries(), 1u);
}

TEST(DeliveryLedger, AnUnacknowledgedMessageIsNotALoss) {
  DeliveryLedger ledger;
  const auto failed = ledger.reserve(1);  // the send failed: no ack
  const auto raced = ledger.reserve(1);   // delivered, but the ack was lost with the connection
  ledger.deliver(raced);
  const auto t = ledger.tally();
  EXPECT_EQ(t.lost, 0u);
  EXPECT_EQ(t.expected, 0u);
  EXPECT_EQ(t.unacked_delivered, 1u);
  (void)failed;
}

TEST(DeliveryLedger, SlotsNoMessageReservedAreUnexpected) {
  DeliveryLedger ledger;
  EXPECT_EQ(ledger.deliver(0), Delivery::kUnexpected);
  const auto a = ledger.reserve(2);
  EXPECT_EQ(ledger.deliver(a + 2), Delivery::kUnexpected);
  EXPECT_EQ(ledger.deliver(DeliveryLedger::kMaxSlots + 5), Delivery::kUnexpected);
}

TEST(DeliveryLedger, ConcurrentSendersAndReceiversAcrossChunks) {
  DeliveryLedger ledger;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50'000;  // several chunks of 65536 slots
  std::vector<std::vector<std::uint64_t>> reserved(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const auto slot = ledger.reserve(2);
        ledger.acknowledge(slot, 2);
        reserved[t].push_back(slot);
      }
    });
  }
  for (auto& th : threads)
    th.join();
  threads.clear();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Receivers on other threads deliver every slot once; thread 0 delivers one twice.
      for (auto slot : reserved[(t + 1) % kThreads]) {
        ledger.deliver(slot);
        ledger.deliver(slot + 1);
      }
    });
  }
  for (auto& th : threads)
    th.join();
  ledger.deliver(reserved[0][7]);
  const auto t = ledger.tally();
  EXPECT_EQ(t.expected, 2u * kThreads * kPerThread);
  EXPECT_EQ(t.delivered, t.expected);
  EXPECT_EQ(t.lost, 0u);
  EXPECT_EQ(t.duplicated, 1u);
}

TEST(Payload, RoundTripsAndPads) {
  PayloadHeader h{42, 123456789, -5};
  const auto text = make_payload(h, 100);
  EXPECT_EQ(text.size(), 100u);
  auto back = parse_payload(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->step, 42u);
  EXPECT_EQ(back->slot, 123456789u);
  EXPECT_EQ(back->intended_ns, -5);
  EXPECT_GT(make_payload(h, 1).size(), 1u);  // the header is never cut
  EXPECT_FALSE(parse_payload("hello"));
  EXPECT_FALSE(parse_payload("fcb 1 2"));
}

}  // namespace
}  // namespace fastchat::bench
