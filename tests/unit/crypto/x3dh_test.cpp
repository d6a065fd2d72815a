#include "crypto/x3dh.h"

#include <gtest/gtest.h>

#include "crypto/x3dh_codec.h"
#include "e2ee_test_util.h"

namespace fastchat::crypto {
namespace {

using testing::TestDevice;

TEST(X3dhTest, BothSidesDeriveTheSameSecretAndAssociatedData) {
  for (bool with_one_time : {true, false}) {
    TestDevice alice("alice"), bob("bob", 3);
    const PrekeyBundle bundle = bob.bundle(with_one_time);
    Result<X3dhInitiation> init = x3dh_initiate(alice.identity, alice.address, bundle);
    ASSERT_TRUE(init) << init.status().to_string();
    EXPECT_EQ(init->header.one_time_prekey_id.has_value(), with_one_time);
    EXPECT_EQ(init->header.signed_prekey_id, 7u);

    const PrekeyPair* one_time =
        with_one_time ? bob.prekeys.one_time(*init->header.one_time_prekey_id) : nullptr;
    Result<X3dhOutput> resp = x3dh_respond(bob.identity, bob.address, *bob.prekeys.current_signed(),
                                           one_time, init->header, alice.address);
    ASSERT_TRUE(resp) << resp.status().to_string();
    EXPECT_EQ(resp->shared_secret.size(), 32u);
    EXPECT_TRUE(resp->shared_secret.equals(init->output.shared_secret.view()));
    EXPECT_EQ(resp->associated_data, init->output.associated_data);
    // Both identities and both addresses are in the AD.
    const std::string& ad = init->output.associated_data;
    EXPECT_NE(ad.find(alice.identity.sign_public_key()), std::string::npos);
    EXPECT_NE(ad.find(bob.identity.box_public_key()), std::string::npos);
    EXPECT_NE(ad.find("alice"), std::string::npos);
    EXPECT_NE(ad.find("bob"), std::string::npos);
  }
}

TEST(X3dhTest, EachInitiationUsesAFreshEphemeralKeyAndSecret) {
  TestDevice alice("alice"), bob("bob");
  const PrekeyBundle bundle = bob.bundle(false);
  Result<X3dhInitiation> a = x3dh_initiate(alice.identity, alice.address, bundle);
  Result<X3dhInitiation> b = x3dh_initiate(alice.identity, alice.address, bundle);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->header.ephemeral_key, b->header.ephemeral_key);
  EXPECT_FALSE(a->output.shared_secret.equals(b->output.shared_secret.view()));
}

TEST(X3dhTest, ResponderWithTheWrongPrekeyOrAddressDerivesSomethingElse) {
  TestDevice alice("alice"), bob("bob");
  const PrekeyBundle bundle = bob.bundle(true);
  Result<X3dhInitiation> init = x3dh_initiate(alice.identity, alice.address, bundle);
  ASSERT_TRUE(init);
  const PrekeyPair* one_time = bob.prekeys.one_time(*init->header.one_time_prekey_id);
  // Without the one-time prekey the header names: refused.
  EXPECT_EQ(x3dh_respond(bob.identity, bob.address, *bob.prekeys.current_signed(), nullptr,
                         init->header, alice.address)
                .code(),
            Code::kCrypto);
  // The server claims another sender address: the AD differs, so messages will not open.
  Result<X3dhOutput> wrong = x3dh_respond(bob.identity, bob.address, *bob.prekeys.current_signed(),
                                          one_time, init->header, DeviceAddress{"mallory", 1});
  ASSERT_TRUE(wrong);
  EXPECT_NE(wrong->associated_data, init->output.associated_data);
}

TEST(X3dhTest, ForgedBundlesAreRefused) {
  TestDevice alice("alice"), bob("bob"), mallory("mallory");
  const PrekeyBundle good = bob.bundle(true);
  ASSERT_TRUE(verify_bundle(good));

  PrekeyBundle forged = good;  // signed prekey swapped for the server's own
  const PrekeyPair server_key = generate_prekey(7);
  forged.signed_prekey.public_key = server_key.public_key;
  EXPECT_EQ(verify_bundle(forged).code(), Code::kCrypto);
  EXPECT_EQ(x3dh_initiate(alice.identity, alice.address, forged).code(), Code::kCrypto);

  forged = good;  // signed by another identity
  forged.signed_prekey = sign_prekey(mallory.identity, *bob.prekeys.current_signed());
  EXPECT_EQ(verify_bundle(forged).code(), Code::kCrypto);

  forged = good;  // the id is signed too
  forged.signed_prekey.id = 8;
  EXPECT_EQ(verify_bundle(forged).code(), Code::kCrypto);

  forged = good;  // a low-order point as one-time prekey (all-zero DH output)
  forged.one_time_prekey->public_key = std::string(32, '\0');
  EXPECT_EQ(verify_bundle(forged).code(), Code::kCrypto);

  forged = good;
  forged.identity_dh_key = std::string(32, '\0');
  EXPECT_EQ(verify_bundle(forged).code(), Code::kCrypto);

  forged = good;
  forged.identity_sign_key.pop_back();
  EXPECT_EQ(verify_bundle(forged).code(), Code::kCrypto);
}

TEST(X3dhTest, PeerSessionsRefuseABundleUnderAnotherIdentityOrDevice) {
  TestDevice alice("alice"), bob("bob"), mallory("bob");
  PeerSessions sessions = alice.sessions_with(bob);
  // Correctly signed, but by another identity key than the one pinned for bob.
  EXPECT_EQ(sessions.start(alice.local(), mallory.bundle()).code(), Code::kCrypto);
  PrekeyBundle other_device = bob.bundle();
  other_device.address.device_id = 2;
  EXPECT_EQ(sessions.start(alice.local(), other_device).code(), Code::kCrypto);
  EXPECT_FALSE(sessions.has_session());
  EXPECT_TRUE(sessions.start(alice.local(), bob.bundle()));
}

TEST(X3dhCodecTest, BundleRoundTripsWithAndWithoutOneTimePrekey) {
  TestDevice bob("bob", 42);
  for (bool with_one_time : {true, false}) {
    const PrekeyBundle bundle = bob.bundle(with_one_time);
    const std::string bytes = encode_bundle(bundle);
    EXPECT_EQ(bytes.size(), 1 + 1 + 3 + 4 + 32 + 32 + 4 + 32 + 64 + 1 + (with_one_time ? 36 : 0));
    Result<PrekeyBundle> decoded = decode_bundle(bytes);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->address, bundle.address);
    EXPECT_EQ(decoded->identity_sign_key, bundle.identity_sign_key);
    EXPECT_EQ(decoded->signed_prekey.signature, bundle.signed_prekey.signature);
    EXPECT_EQ(decoded->one_time_prekey.has_value(), with_one_time);
    EXPECT_TRUE(verify_bundle(*decoded));
    EXPECT_EQ(encode_bundle(*decoded), bytes);
  }
}

TEST(X3dhCodecTest, MalformedBundlesAreRefused) {
  TestDevice bob("bob");
  const std::string bytes = encode_bundle(bob.bundle(true));
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_EQ(decode_bundle(bytes.substr(0, n)).code(), Code::kCrypto) << n;
  }
  EXPECT_EQ(decode_bundle(bytes + "x").code(), Code::kCrypto);
  std::string bad_version = bytes;
  bad_version[0] = 0x16;
  EXPECT_EQ(decode_bundle(bad_version).code(), Code::kCrypto);
  std::string bad_flag = bytes;
  bad_flag[bytes.size() - 37] = 2;
  EXPECT_EQ(decode_bundle(bad_flag).code(), Code::kCrypto);
}

TEST(LocalPrekeysTest, KeepsBoundedKeysAndRoundTrips) {
  LocalPrekeys keys;
  for (std::uint32_t id = 1; id <= 5; ++id)
    keys.add_signed(generate_prekey(id));
  EXPECT_EQ(keys.current_signed()->id, 5u);
  EXPECT_EQ(keys.signed_prekey(2), nullptr);  // only the last kMaxSignedPrekeys are kept
  EXPECT_NE(keys.signed_prekey(3), nullptr);
  ASSERT_TRUE(keys.add_one_time(generate_prekey(9)));
  EXPECT_EQ(keys.add_one_time(generate_prekey(9)).code(), Code::kBadRequest);
  keys.remember_base_key(std::string(32, 'b'));

  const SecretBytes saved = keys.serialize();
  Result<LocalPrekeys> loaded = LocalPrekeys::deserialize(saved.view());
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->current_signed()->public_key, keys.current_signed()->public_key);
  EXPECT_TRUE(
      loaded->current_signed()->secret_key.equals(keys.current_signed()->secret_key.view()));
  EXPECT_NE(loaded->one_time(9), nullptr);
  EXPECT_TRUE(loaded->base_key_seen(std::string(32, 'b')));
  EXPECT_FALSE(loaded->base_key_seen(std::string(32, 'c')));
  loaded->consume_one_time(9);
  EXPECT_EQ(loaded->one_time(9), nullptr);

  for (std::size_t n = 0; n < saved.size(); ++n) {
    EXPECT_FALSE(LocalPrekeys::deserialize(saved.view().substr(0, n))) << n;
  }
  std::string mismatched(saved.view());
  mismatched[11 + 4] ^= 1;  // the first signed prekey's public half no longer matches
  EXPECT_FALSE(LocalPrekeys::deserialize(mismatched));
}

TEST(LocalPrekeysTest, RotationAndTopUpPublishWhatTheStoreKeeps) {
  const Identity identity = Identity::generate();
  LocalPrekeys keys;
  const SignedPrekey first = keys.rotate_signed(identity);
  const SignedPrekey second = keys.rotate_signed(identity);
  EXPECT_NE(first.id, second.id);
  EXPECT_EQ(keys.current_signed()->id, second.id);
  EXPECT_EQ(keys.current_signed()->public_key, second.public_key);
  ASSERT_NE(keys.signed_prekey(first.id), nullptr);  // kept for messages in flight

  Result<std::vector<OneTimePrekey>> batch = keys.generate_one_time(50);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), 50u);
  for (const OneTimePrekey& p : *batch) {
    ASSERT_NE(keys.one_time(p.id), nullptr);
    EXPECT_EQ(keys.one_time(p.id)->public_key, p.public_key);
  }
  // Ids keep counting across a restart: a new batch never reuses a published id.
  LocalPrekeys loaded = *LocalPrekeys::deserialize(keys.serialize().view());
  Result<std::vector<OneTimePrekey>> more = loaded.generate_one_time(5);
  ASSERT_TRUE(more);
  for (const OneTimePrekey& p : *more) {
    for (const OneTimePrekey& q : *batch)
      EXPECT_NE(p.id, q.id);
  }
  EXPECT_NE(loaded.rotate_signed(identity).id, second.id);
  EXPECT_EQ(loaded.generate_one_time(LocalPrekeys::kMaxOneTimePrekeys).code(), Code::kLimitReached);
  EXPECT_EQ(loaded.one_time_count(), 55u);  // nothing added by the refused call

  // A bundle made from them verifies.
  PrekeyBundle bundle{{"me", 1},
                      std::string(identity.sign_public_key()),
                      std::string(identity.box_public_key()),
                      second,
                      (*batch)[0]};
  EXPECT_TRUE(verify_bundle(bundle));
}

TEST(LocalPrekeysTest, OneTimePrekeysAreCapped) {
  LocalPrekeys keys;
  for (std::uint32_t id = 0; id < LocalPrekeys::kMaxOneTimePrekeys; ++id) {
    ASSERT_TRUE(keys.add_one_time(PrekeyPair{id, std::string(32, 'p'), SecretBytes(32)}));
  }
  EXPECT_EQ(keys.add_one_time(generate_prekey(999999)).code(), Code::kLimitReached);
}

}  // namespace
}  // namespace fastchat::crypto
