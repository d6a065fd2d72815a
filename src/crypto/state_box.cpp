#include "crypto/state_box.h"

#include <sodium.h>

#include <algorithm>

#include "crypto/kdf.h"
#include "crypto/message_cipher.h"

namespace fastchat::crypto {

namespace {

constexpr std::string_view kMagic = "FCSB\x01";
constexpr std::string_view kKeyInfo = "fastchat/state-box/key/v1";
constexpr std::string_view kLabel = "fastchat/state-box/v1";

// (u8 length | bytes) of kind and owner: unambiguous.
std::string associated_data(std::string_view kind, std::string_view owner) {
  std::string ad(kMagic);
  for (std::string_view part : {kind, owner}) {
    ad.push_back(static_cast<char>(std::min<std::size_t>(part.size(), 255)));
    ad.append(part.substr(0, 255));
  }
  return ad;
}

}  // namespace

StateBox::StateBox(const Identity& identity) {
  const SecretBytes secret = identity.serialize_secret();
  key_ = hkdf_sha256({}, secret.view(), kKeyInfo, 32);
}

std::string StateBox::seal(std::string_view kind, std::string_view owner,
                           const SecretBytes& state) const {
  std::string out(kMagic);
  out += seal_with_message_key(key_, kLabel, state.view(), associated_data(kind, owner));
  return out;
}

Result<SecretBytes> StateBox::open(std::string_view kind, std::string_view owner,
                                   std::string_view sealed) const {
  if (sealed.substr(0, kMagic.size()) != kMagic) {
    return Status(Code::kCrypto, "saved state has an unknown format");
  }
  auto plain = open_with_message_key(key_, kLabel, sealed.substr(kMagic.size()),
                                     associated_data(kind, owner));
  if (!plain) return Status(Code::kCrypto, "saved state does not open with this identity");
  SecretBytes state(*plain);
  sodium_memzero(plain->data(), plain->size());
  return state;
}

}  // namespace fastchat::crypto
