// Fuzzes the prekey (initial) message decoder and the responder side of X3DH.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crypto/ratchet_message.h"
#include "e2ee_fixture.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fastchat;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Result<crypto::PrekeyMessage> message = crypto::decode_prekey_message(input);
  if (message && crypto::encode_prekey_message(*message) != input) std::abort();
  auto& f = fuzz::E2eeFixture::get();
  crypto::PeerSessions fresh(f.alice, std::string(f.alice_id.sign_public_key()),
                             std::string(f.alice_id.box_public_key()));
  (void)fresh.decrypt({f.bob_id, f.bob}, f.bob_prekeys, input, fuzz::kFuzzNow);
  return 0;
}
