// Fuzzes the per-device 1:1 body (0x16): the decoder, its one encoding, and the entry
// for Bob's device through decryption with an established session.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crypto/device_message.h"
#include "e2ee_fixture.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fastchat;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Result<crypto::DeviceMessage> message = crypto::decode_device_message(input);
  if (!message) return 0;
  auto again = crypto::encode_device_message(*message);
  if (!again || *again != input) std::abort();
  auto& f = fuzz::E2eeFixture::get();
  if (const auto* mine = message->find(crypto::DeviceOwner::kRecipient, f.bob.device_id)) {
    // Transactional: whatever the entry, the session stays usable.
    (void)f.bob_from_alice.decrypt({f.bob_id, f.bob}, f.bob_prekeys, mine->message, fuzz::kFuzzNow);
  }
  return 0;
}
