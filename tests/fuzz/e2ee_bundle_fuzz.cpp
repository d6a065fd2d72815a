// Fuzzes the prekey bundle decoder (bytes from the server, untrusted) and X3DH over
// whatever it accepts.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crypto/x3dh.h"
#include "crypto/x3dh_codec.h"
#include "e2ee_fixture.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fastchat;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Result<crypto::PrekeyBundle> bundle = crypto::decode_bundle(input);
  if (!bundle) return 0;
  if (crypto::encode_bundle(*bundle) != input) std::abort();  // one encoding per bundle
  auto& f = fuzz::E2eeFixture::get();
  Result<crypto::X3dhInitiation> init = crypto::x3dh_initiate(f.alice_id, f.alice, *bundle);
  if (init.is_ok() != crypto::verify_bundle(*bundle).is_ok()) std::abort();
  return 0;
}
