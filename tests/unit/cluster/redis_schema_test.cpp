#include "cluster/redis_schema.h"

#include <gtest/gtest.h>

#include "cluster/redis_connection.h"

namespace fastchat::cluster {
namespace {

TEST(RedisUrl, ParsesHostPortAndDatabase) {
  auto e = parse_redis_url("redis://10.0.0.5:6380/3");
  ASSERT_TRUE(e) << e.status().to_string();
  EXPECT_EQ(e->host, "10.0.0.5");
  EXPECT_EQ(e->port, 6380);
  EXPECT_EQ(e->db, 3);
  EXPECT_TRUE(e->password.empty());

  auto d = parse_redis_url("redis://cache");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->host, "cache");
  EXPECT_EQ(d->port, 6379);
  EXPECT_EQ(d->db, 0);
}

TEST(RedisUrl, ParsesCredentialsAndIpv6) {
  auto e = parse_redis_url("redis://app:p%40ss%3Aw@[::1]:7000");
  ASSERT_TRUE(e) << e.status().to_string();
  EXPECT_EQ(e->user, "app");
  EXPECT_EQ(e->password, "p@ss:w");
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->port, 7000);
  auto p = parse_redis_url("redis://:secret@host:1");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->user, "");
  EXPECT_EQ(p->password, "secret");
  EXPECT_EQ(p->to_string().find("secret"), std::string::npos);
}

TEST(RedisUrl, ParsesUnixSockets) {
  auto e = parse_redis_url("unix:///run/redis.sock?db=2");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->unix_path, "/run/redis.sock");
  EXPECT_EQ(e->db, 2);
}

TEST(RedisUrl, RefusesWhatItCannotUse) {
  for (const char* bad : {"", "localhost:6379", "http://x", "rediss://h", "redis://", "redis://h:0",
                          "redis://h:70000", "redis://h:12x", "redis://h/abc", "unix://rel",
                          "redis://user@h", "redis://[::1", "redis://a:%zz@h"}) {
    auto e = parse_redis_url(bad);
    EXPECT_FALSE(e) << bad;
    if (!e) {
      EXPECT_EQ(e.status().code(), Code::kBadRequest);
    }
  }
}

TEST(Schema, ServerIds) {
  EXPECT_TRUE(schema::valid_server_id("chat-1.example.org:7600"));
  EXPECT_TRUE(schema::valid_server_id("A_b"));
  EXPECT_FALSE(schema::valid_server_id(""));
  EXPECT_FALSE(schema::valid_server_id("has space"));
  EXPECT_FALSE(schema::valid_server_id("brace{x}"));
  EXPECT_FALSE(schema::valid_server_id(std::string(65, 'a')));
  EXPECT_EQ(schema::server_channel("s1"), "fc:srv:s1");
  EXPECT_EQ(schema::server_key("s1"), "fc:server:s1");
  EXPECT_EQ(schema::presence_key(42), "fc:presence:42");
}

TEST(Schema, DeliveryPayloadIsBinarySafe) {
  const std::string frame("\x00\x01\xff\x00 frame", 10);
  const std::string payload =
      schema::encode_delivery(0x0102030405060708, 0x1112131415161718, frame);
  ASSERT_EQ(payload.size(), 16 + frame.size());
  auto d = schema::decode_delivery(payload);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->recipient, 0x0102030405060708);
  EXPECT_EQ(d->seq, 0x1112131415161718u);
  EXPECT_EQ(d->frame, frame);
  EXPECT_FALSE(d->catch_up());
  EXPECT_FALSE(schema::decode_delivery("short"));
  auto empty = schema::decode_delivery(schema::encode_delivery(0, 0, {}));
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->recipient, 0);
  // A catch-up request: no frame, the highest seq routed.
  auto catch_up = schema::decode_delivery(schema::encode_delivery(7, 12, {}));
  ASSERT_TRUE(catch_up);
  EXPECT_TRUE(catch_up->catch_up());
  EXPECT_EQ(catch_up->recipient, 7);
  EXPECT_EQ(catch_up->seq, 12u);
}

TEST(Schema, ControlMessages) {
  auto p = schema::decode_control("P 1 1 42 srv-a alice");
  ASSERT_TRUE(p.presence);
  EXPECT_FALSE(p.resync);
  EXPECT_TRUE(p.presence->online);
  EXPECT_TRUE(p.presence->transition);
  EXPECT_EQ(p.presence->user, 42);
  EXPECT_EQ(p.presence->server_id, "srv-a");
  EXPECT_EQ(p.presence->username, "alice");

  auto off = schema::decode_control("P 0 0 7 s b.o-b_");
  ASSERT_TRUE(off.presence);
  EXPECT_FALSE(off.presence->online);
  EXPECT_FALSE(off.presence->transition);
  EXPECT_EQ(off.presence->username, "b.o-b_");

  auto r = schema::decode_control(schema::encode_resync("srv-b"));
  ASSERT_TRUE(r.resync);
  EXPECT_EQ(r.resync->server_id, "srv-b");

  for (const char* bad : {"", "P", "P 2 1 4 s u", "P 1 1 x s u", "P 1 1 4 s", "P 1 1 4 s{ u", "X 1",
                          "R ", "R bad id"}) {
    auto m = schema::decode_control(bad);
    EXPECT_FALSE(m.presence || m.resync) << bad;
  }
}

TEST(Schema, RevocationControlMessages) {
  auto one = schema::decode_control(schema::encode_revocation(42, 4294967295u, false));
  ASSERT_TRUE(one.revocation);
  EXPECT_FALSE(one.presence || one.resync);
  EXPECT_EQ(one.revocation->user, 42);
  EXPECT_EQ(one.revocation->session_id, 4294967295u);
  EXPECT_FALSE(one.revocation->all_but);
  auto others = schema::decode_control(schema::encode_revocation(7, 3, true));
  ASSERT_TRUE(others.revocation);
  EXPECT_TRUE(others.revocation->all_but);
  EXPECT_EQ(others.revocation->session_id, 3u);
  for (const char* bad : {"K", "K 1", "K 1 1", "K 1 2 3", "K x 0 3", "K 1 0 4294967296",
                          "K 1 0 3 4", "K 1 0 -3", "K  0 3"}) {
    auto m = schema::decode_control(bad);
    EXPECT_FALSE(m.presence || m.resync || m.revocation) << bad;
  }
}

TEST(Schema, ScriptsHaveDistinctHashes) {
  const schema::Script* all[] = {&schema::open_script(),       &schema::close_script(),
                                 &schema::sweep_script(),      &schema::heartbeat_script(),
                                 &schema::deregister_script(), &schema::list_script(),
                                 &schema::online_script()};
  for (const auto* a : all) {
    EXPECT_EQ(a->sha1.size(), 40u) << a->name;
    for (const auto* b : all) {
      if (a != b) {
        EXPECT_NE(a->sha1, b->sha1);
      }
    }
  }
}

}  // namespace
}  // namespace fastchat::cluster
