// Fuzzes loading the keystore file (crypto/keystore.h), which may be corrupt or planted:
// the three ways of opening it agree, and none crashes.
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include "crypto/keystore.h"
#include "keystore_fixture.h"
#include "scratch_dir.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fastchat;
  const std::string path = (fuzz::scratch_dir("keystore_fuzz") / "keystore").string();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  const crypto::SecretBytes& storage_key = fuzz::keystore_storage_key();
  auto identity = crypto::load_keystore(path, fuzz::kKeystoreUser, storage_key);
  auto data_key = crypto::unwrap_data_key(path, fuzz::kKeystoreUser, storage_key);
  if (data_key) {
    auto same = crypto::load_keystore_with_data_key(path, fuzz::kKeystoreUser, *data_key);
    if (same.is_ok() != identity.is_ok()) std::abort();
    if (same && (same->sign_public_key() != identity->sign_public_key() ||
                 same->box_public_key() != identity->box_public_key())) {
      std::abort();
    }
  } else if (identity) {
    std::abort();  // opened without its data key
  }
  // Bound to the account: no other user's name opens it.
  if (identity && crypto::load_keystore(path, "mallory", storage_key)) std::abort();
  return 0;
}
