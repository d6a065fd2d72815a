// Backend-neutral tests of the Store's E2EE v2 prekeys: publish, count, take (each
// one-time prekey handed out once, also by two stores on one database at once), caps.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>

#include "store_test_fixture.h"

namespace fastchat::store::test {
namespace {

using ::testing::ElementsAre;

class StorePrekeysTest : public StoreTest {
 protected:
  static PrekeyUpload upload(UserId user, std::uint32_t device, std::uint32_t signed_id,
                             std::uint32_t first_one_time, std::size_t one_time_count) {
    PrekeyUpload up;
    up.user = user;
    up.device_id = device;
    up.signed_prekey = {signed_id, "spk-" + std::to_string(signed_id),
                        "sig-" + std::to_string(signed_id)};
    for (std::size_t i = 0; i < one_time_count; ++i) {
      const auto id = static_cast<std::uint32_t>(first_one_time + i);
      up.one_time.push_back({id, "opk-" + std::to_string(device) + "-" + std::to_string(id)});
    }
    up.now_ms = kNow;
    return up;
  }

  std::size_t publish(const PrekeyUpload& up, const PrekeyLimits& limits = {}) {
    auto held = store().publish_prekeys(up, limits);
    EXPECT_TRUE(held) << held.status().to_string();
    return held ? *held : 0;
  }

  std::size_t held(UserId user, std::uint32_t device) {
    auto count = store().count_one_time_prekeys(user, device);
    EXPECT_TRUE(count) << count.status().to_string();
    return count ? *count : 0;
  }

  std::vector<StoredPrekeyBundle> take(UserId user) {
    auto bundles = store().take_prekey_bundles(user);
    EXPECT_TRUE(bundles) << bundles.status().to_string();
    return bundles ? std::move(bundles).value() : std::vector<StoredPrekeyBundle>{};
  }
};

TEST_P(StorePrekeysTest, TakingHandsOutEachOneTimePrekeyOnceThenTheSignedPrekeyAlone) {
  const UserId alice = add_user("alice");
  EXPECT_EQ(publish(upload(alice, 7, 1, 100, 2)), 2u);
  EXPECT_EQ(held(alice, 7), 2u);

  auto first = take(alice);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].device_id, 7u);
  EXPECT_EQ(first[0].signed_prekey.id, 1u);
  EXPECT_EQ(first[0].signed_prekey.public_key, "spk-1");
  EXPECT_EQ(first[0].signed_prekey.signature, "sig-1");
  ASSERT_TRUE(first[0].one_time);
  EXPECT_EQ(first[0].one_time->id, 100u);
  EXPECT_EQ(first[0].one_time->public_key, "opk-7-100");
  EXPECT_EQ(held(alice, 7), 1u);

  auto second = take(alice);
  ASSERT_EQ(second.size(), 1u);
  ASSERT_TRUE(second[0].one_time);
  EXPECT_EQ(second[0].one_time->id, 101u);
  EXPECT_EQ(held(alice, 7), 0u);

  auto empty = take(alice);
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_EQ(empty[0].signed_prekey.public_key, "spk-1");
  EXPECT_FALSE(empty[0].one_time);
}

TEST_P(StorePrekeysTest, AUserWithoutPrekeysHasNoBundlesAndNoCount) {
  const UserId alice = add_user("alice");
  EXPECT_TRUE(take(alice).empty());
  EXPECT_EQ(held(alice, 1), 0u);
  EXPECT_TRUE(take(alice + 1000).empty());
}

TEST_P(StorePrekeysTest, PublishReplacesTheSignedPrekeyAndAddsOneTimePrekeys) {
  const UserId alice = add_user("alice");
  publish(upload(alice, 1, 1, 1, 3));
  EXPECT_EQ(publish(upload(alice, 1, 2, 4, 2)), 5u);
  // A retry of the same ids changes nothing.
  EXPECT_EQ(publish(upload(alice, 1, 2, 4, 2)), 5u);
  auto bundles = take(alice);
  ASSERT_EQ(bundles.size(), 1u);
  EXPECT_EQ(bundles[0].signed_prekey.id, 2u);
  EXPECT_EQ(bundles[0].signed_prekey.public_key, "spk-2");
  ASSERT_TRUE(bundles[0].one_time);
  EXPECT_EQ(bundles[0].one_time->id, 1u);
}

TEST_P(StorePrekeysTest, ReplaceOneTimeForgetsTheOnesStoredBefore) {
  const UserId alice = add_user("alice");
  publish(upload(alice, 1, 1, 1, 5));
  PrekeyUpload fresh = upload(alice, 1, 1, 50, 2);
  fresh.replace_one_time = true;
  EXPECT_EQ(publish(fresh), 2u);
  auto bundles = take(alice);
  ASSERT_EQ(bundles.size(), 1u);
  ASSERT_TRUE(bundles[0].one_time);
  EXPECT_EQ(bundles[0].one_time->id, 50u);
}

TEST_P(StorePrekeysTest, DevicesAreKeptApartAndEachGivesOneBundle) {
  const UserId alice = add_user("alice");
  const UserId bob = add_user("bob");
  publish(upload(alice, 2, 1, 1, 1));
  publish(upload(alice, 1, 1, 1, 2));
  publish(upload(bob, 1, 9, 1, 4));
  EXPECT_EQ(held(alice, 1), 2u);
  EXPECT_EQ(held(alice, 2), 1u);
  EXPECT_EQ(held(bob, 1), 4u);

  auto bundles = take(alice);
  ASSERT_EQ(bundles.size(), 2u);
  EXPECT_EQ(bundles[0].device_id, 1u);
  EXPECT_EQ(bundles[1].device_id, 2u);
  ASSERT_TRUE(bundles[0].one_time);
  ASSERT_TRUE(bundles[1].one_time);
  EXPECT_EQ(bundles[0].one_time->public_key, "opk-1-1");
  EXPECT_EQ(bundles[1].one_time->public_key, "opk-2-1");
  EXPECT_EQ(held(alice, 1), 1u);
  EXPECT_EQ(held(alice, 2), 0u);
  EXPECT_EQ(held(bob, 1), 4u);
}

TEST_P(StorePrekeysTest, OneTimeCapRefusesTheWholeUploadAndStoresNothing) {
  const UserId alice = add_user("alice");
  PrekeyLimits limits;
  limits.max_one_time_per_device = 5;
  publish(upload(alice, 1, 1, 1, 4), limits);
  auto over = store().publish_prekeys(upload(alice, 1, 2, 10, 2), limits);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.code(), Code::kLimitReached);
  EXPECT_EQ(held(alice, 1), 4u);
  auto bundles = take(alice);
  ASSERT_EQ(bundles.size(), 1u);
  EXPECT_EQ(bundles[0].signed_prekey.id, 1u);  // the refused upload's signed prekey is not kept
  EXPECT_EQ(publish(upload(alice, 1, 2, 10, 2), limits), 5u);
}

TEST_P(StorePrekeysTest, DeviceCapRefusesANewDeviceButNotAKnownOne) {
  const UserId alice = add_user("alice");
  PrekeyLimits limits;
  limits.max_devices_per_user = 2;
  publish(upload(alice, 1, 1, 1, 1), limits);
  publish(upload(alice, 2, 1, 1, 1), limits);
  auto third = store().publish_prekeys(upload(alice, 3, 1, 1, 1), limits);
  ASSERT_FALSE(third);
  EXPECT_EQ(third.code(), Code::kLimitReached);
  EXPECT_EQ(publish(upload(alice, 2, 2, 2, 1), limits), 2u);
  EXPECT_EQ(take(alice).size(), 2u);
}

TEST_P(StorePrekeysTest, PublishForAnUnknownUserIsRefused) {
  auto result = store().publish_prekeys(upload(4242, 1, 1, 1, 1), {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.code(), Code::kUnknownUser);
}

TEST_P(StorePrekeysTest, PrekeysSurviveAReopen) {
  const UserId alice = add_user("alice");
  publish(upload(alice, 1, 3, 1, 3));
  take(alice);
  reopen();
  EXPECT_EQ(held(alice, 1), 2u);
  auto bundles = take(alice);
  ASSERT_EQ(bundles.size(), 1u);
  EXPECT_EQ(bundles[0].signed_prekey.id, 3u);
  ASSERT_TRUE(bundles[0].one_time);
  EXPECT_EQ(bundles[0].one_time->id, 2u);
}

// Two stores on one database (two servers of a cluster), several threads each, fetching
// at once: every one-time prekey is handed out exactly once, and all of them are.
TEST_P(StorePrekeysTest, ConcurrentTakesFromTwoStoresNeverHandOutTheSameOneTimePrekey) {
  const UserId alice = add_user("alice");
  constexpr std::size_t kKeys = 150;
  publish(upload(alice, 1, 1, 1, kKeys));
  auto other = open_another();
  ASSERT_TRUE(other);
  Store* stores[2] = {&store(), other.get()};

  constexpr int kThreads = 6;
  constexpr int kTakesPerThread = 30;  // 180 takes for 150 keys: some find none left
  std::mutex mu;
  std::vector<std::uint32_t> taken;
  int without = 0;
  int failures = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Store& s = *stores[t % 2];
      for (int i = 0; i < kTakesPerThread; ++i) {
        auto bundles = s.take_prekey_bundles(alice);
        std::lock_guard lock(mu);
        if (!bundles || bundles->size() != 1) {
          ++failures;
          continue;
        }
        if ((*bundles)[0].one_time) {
          taken.push_back((*bundles)[0].one_time->id);
        } else {
          ++without;
        }
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(failures, 0);
  const std::set<std::uint32_t> distinct(taken.begin(), taken.end());
  EXPECT_EQ(distinct.size(), taken.size()) << "a one-time prekey was handed out twice";
  EXPECT_EQ(taken.size(), kKeys);
  EXPECT_EQ(without, kThreads * kTakesPerThread - static_cast<int>(kKeys));
  EXPECT_EQ(held(alice, 1), 0u);
}

INSTANTIATE_TEST_SUITE_P(Backends, StorePrekeysTest, ::testing::ValuesIn(store_backends()),
                         backend_name);

}  // namespace
}  // namespace fastchat::store::test
