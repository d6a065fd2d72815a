#include <gtest/gtest.h>

#include "client/client.h"

namespace fastchat::client {
namespace {

TEST(ParseEndpointTest, HostAndPort) {
  auto e = parse_endpoint("chat.example.org:7601");
  ASSERT_TRUE(e) << e.status().to_string();
  EXPECT_EQ(e->host, "chat.example.org");
  EXPECT_EQ(e->port, 7601);
  EXPECT_EQ(e->to_string(), "chat.example.org:7601");
}

TEST(ParseEndpointTest, HostAloneGetsTheDefaultPort) {
  auto e = parse_endpoint("127.0.0.1");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 7600);
}

TEST(ParseEndpointTest, BracketedIpv6) {
  auto e = parse_endpoint("[::1]:9000");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->port, 9000);
  EXPECT_EQ(e->to_string(), "[::1]:9000");
  auto bare = parse_endpoint("[fe80::1]");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->host, "fe80::1");
  EXPECT_EQ(bare->port, 7600);
}

TEST(ParseEndpointTest, RejectsMalformedInput) {
  for (const char* bad : {"", ":7600", "host:", "host:0", "host:65536", "host:12x", "host:-1",
                          "::1:7600", "[::1", "[]:7600", "[::1]7600", "[::1]:"}) {
    auto e = parse_endpoint(bad);
    EXPECT_FALSE(e) << "'" << bad << "' parsed as " << (e ? e->to_string() : "");
    if (!e) {
      EXPECT_EQ(e.code(), Code::kBadRequest);
    }
  }
}

TEST(ParseEndpointTest, RoundTripsThroughToString) {
  for (const char* text : {"a:1", "10.0.0.2:65535", "[2001:db8::7]:7600"}) {
    auto e = parse_endpoint(text);
    ASSERT_TRUE(e) << text;
    EXPECT_EQ(e->to_string(), text);
  }
}

}  // namespace
}  // namespace fastchat::client
