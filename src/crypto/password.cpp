#include "crypto/password.h"

#include <sodium.h>

#include <cstdlib>
#include <string>

#include "crypto/sodium_init.h"

namespace fastchat::crypto {

namespace {

SecretBytes derive_subkey(const SecretBytes& master, std::uint64_t id) {
  SecretBytes out(32);
  crypto_kdf_derive_from_key(out.data(), out.size(), id, "fcpasswd", master.data());
  return out;
}

}  // namespace

PasswordKeys derive_password_keys(std::string_view username, std::string_view password) {
  ensure_sodium();
  unsigned char salt[crypto_pwhash_SALTBYTES];
  const std::string salt_input = std::string("fastchat/auth/v1") + std::string(username);
  crypto_generichash(salt, sizeof salt, reinterpret_cast<const unsigned char*>(salt_input.data()),
                     salt_input.size(), nullptr, 0);
  SecretBytes master(crypto_kdf_KEYBYTES);
  if (crypto_pwhash(master.data(), master.size(), password.data(), password.size(), salt,
                    crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    // Only fails when the memory limit cannot be allocated: nothing sensible to do.
    std::abort();
  }
  return {derive_subkey(master, 1), derive_subkey(master, 2)};
}

}  // namespace fastchat::crypto
