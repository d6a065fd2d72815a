// Fuzzes the Double Ratchet message decoder and decryption with an established session.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crypto/ratchet_message.h"
#include "e2ee_fixture.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fastchat;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Result<crypto::RatchetMessage> message = crypto::decode_ratchet_message(input);
  if (message && crypto::encode_ratchet_message(*message) != input) std::abort();
  auto& f = fuzz::E2eeFixture::get();
  // Decryption is transactional: whatever the input, the session stays usable.
  (void)f.bob_from_alice.decrypt({f.bob_id, f.bob}, f.bob_prekeys, input, fuzz::kFuzzNow);
  return 0;
}
