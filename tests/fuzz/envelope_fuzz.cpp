// Fuzzes opening envelopes (crypto/envelope.h), the bytes a hostile server or member
// hands a client: direct envelopes, and group bodies with their key wraps. Input: one
// byte N, then a wrap of N bytes, then the body; the whole input is also tried as a
// direct envelope. What opens under alice's key must not open under carol's.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "content_fixture.h"
#include "crypto/envelope.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fastchat;
  const auto& f = fuzz::ContentFixture::get();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (crypto::open_direct(f.bob_from_alice, input) &&
      crypto::open_direct(f.bob_from_carol, input)) {
    std::abort();
  }
  if (input.empty()) return 0;
  const std::string_view rest = input.substr(1);
  const std::string_view wrap = rest.substr(0, data[0]);
  const std::string_view body = rest.substr(wrap.size());
  constexpr std::string_view kAd = "fastchat/group/v1 fuzz";
  auto plain = crypto::open_group(f.bob_from_alice, wrap, body, kAd);
  if (plain) {
    if (crypto::open_group(f.bob_from_carol, wrap, body, kAd)) std::abort();
    if (crypto::open_group(f.bob_from_alice, wrap, body, "other")) std::abort();
  }
  return 0;
}
