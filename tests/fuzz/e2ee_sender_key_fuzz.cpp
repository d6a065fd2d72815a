// Fuzzes the Sender Keys decoders (group message, distribution) and group decryption.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crypto/sender_key.h"
#include "crypto/sender_key_message.h"
#include "e2ee_fixture.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fastchat;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Result<crypto::SenderKeyMessage> message = crypto::decode_sender_key_message(input);
  if (message && crypto::encode_sender_key_message(*message) != input) std::abort();
  Result<crypto::SenderKeyDistribution> distribution =
      crypto::decode_sender_key_distribution(input);
  if (distribution) {
    if (crypto::encode_sender_key_distribution(*distribution).view() != input) std::abort();
    crypto::SenderKeyReceiver receiver{distribution->group_id, {"alice", 1}};
    if (!receiver.add(*distribution)) std::abort();
  }
  auto& f = fuzz::E2eeFixture::get();
  (void)f.group_receiver.decrypt(input, fuzz::kFuzzNow);
  return 0;
}
