// The PROXY protocol v2 header: what HAProxy, nginx and cloud load balancers send.
#include "protocol/proxy_header.h"

#include <gtest/gtest.h>

namespace fastchat::protocol {
namespace {

using namespace std::string_literals;

Result<ProxyHeader> decode(const std::string& header) {
  auto body = proxy_header_body_size(header.substr(0, kProxyHeaderFixedBytes));
  if (!body) return body.status();
  EXPECT_EQ(header.size(), kProxyHeaderFixedBytes + *body);
  return decode_proxy_header(header);
}

TEST(ProxyHeaderTest, AnIpv4HeaderNamesTheClient) {
  auto header = encode_proxy_header("203.0.113.7", 51000, "10.0.0.2", 7600);
  ASSERT_TRUE(header);
  EXPECT_EQ(header->size(), 28u);
  auto decoded = decode(*header);
  ASSERT_TRUE(decoded) << decoded.status().to_string();
  EXPECT_EQ(decoded->source_address, "203.0.113.7");
  EXPECT_EQ(decoded->source_port, 51000);
}

TEST(ProxyHeaderTest, AnIpv6HeaderNamesTheClient) {
  auto header = encode_proxy_header("2001:db8::7", 443, "2001:db8::1", 7600);
  ASSERT_TRUE(header);
  auto decoded = decode(*header);
  ASSERT_TRUE(decoded) << decoded.status().to_string();
  EXPECT_EQ(decoded->source_address, "2001:db8::7");
  EXPECT_EQ(decoded->source_port, 443);
}

TEST(ProxyHeaderTest, TheSpecsExampleBytesWithATlvDecode) {
  // PROXY, TCP over IPv4, 127.0.0.1:56324 -> 127.0.0.1:443, then a NOOP TLV of 3 bytes.
  const std::string header = "\r\n\r\n\0\r\nQUIT\n"s + "\x21\x11\x00\x12"s +
                             "\x7f\x00\x00\x01\x7f\x00\x00\x01\xdc\x04\x01\xbb"s +
                             "\x04\x00\x03\x00\x00\x00"s;
  auto decoded = decode(header);
  ASSERT_TRUE(decoded) << decoded.status().to_string();
  EXPECT_EQ(decoded->source_address, "127.0.0.1");
  EXPECT_EQ(decoded->source_port, 56324);
}

TEST(ProxyHeaderTest, ALocalHeaderKeepsTheSocketsAddress) {
  const std::string header = "\r\n\r\n\0\r\nQUIT\n"s + "\x20\x00\x00\x00"s;
  auto decoded = decode(header);
  ASSERT_TRUE(decoded) << decoded.status().to_string();
  EXPECT_TRUE(decoded->source_address.empty());
}

TEST(ProxyHeaderTest, AnythingElseIsRefused) {
  const std::string signature = "\r\n\r\n\0\r\nQUIT\n"s;
  // A TLS ClientHello, a version 1 text header, a wrong version, a body too long,
  // addresses cut short, AF_UNIX, an unknown command.
  EXPECT_FALSE(
      proxy_header_body_size("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x00\x00\x00\x00\x00"s));
  EXPECT_FALSE(proxy_header_body_size("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"));
  EXPECT_FALSE(proxy_header_body_size(signature + "\x11\x11\x00\x0c"s));
  EXPECT_FALSE(proxy_header_body_size(signature + "\x21\x11\x02\x01"s));
  EXPECT_FALSE(decode_proxy_header(signature + "\x21\x11\x00\x04"s + "\x01\x02\x03\x04"s));
  EXPECT_FALSE(decode_proxy_header(signature + "\x21\x31\x00\x00"s));
  EXPECT_FALSE(decode_proxy_header(signature + "\x2f\x11\x00\x00"s));
  EXPECT_FALSE(decode_proxy_header(signature + "\x21\x11\x00\x0c"s + "short"s));
  EXPECT_FALSE(encode_proxy_header("203.0.113.7", 1, "2001:db8::1", 2));
}

}  // namespace
}  // namespace fastchat::protocol
