#include "crypto/password.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>

#include "crypto/bytes.h"
#include "crypto/sodium_init.h"

namespace fastchat::crypto {

namespace {

constexpr std::string_view kSaltContext = "fastchat/auth/v1";
constexpr std::size_t kKeyBytes = 32;
// crypto_kdf contexts are exactly crypto_kdf_CONTEXTBYTES (8) characters.
constexpr char kAuthContext[] = "fcauth01";
constexpr char kStorageContext[] = "fcstor01";
constexpr char kLoginContext[] = "fclogn01";
static_assert(sizeof kAuthContext - 1 == crypto_kdf_CONTEXTBYTES);
static_assert(sizeof kStorageContext - 1 == crypto_kdf_CONTEXTBYTES);
static_assert(sizeof kLoginContext - 1 == crypto_kdf_CONTEXTBYTES);

SecretBytes derive_subkey(const SecretBytes& master, const char* context) {
  SecretBytes out(kKeyBytes);
  crypto_kdf_derive_from_key(out.data(), out.size(), 1, context, master.data());
  return out;
}

}  // namespace

PasswordKeys derive_password_keys(std::string_view username, std::string_view password) {
  ensure_sodium();
  // The salt is public and per account: it only has to differ between usernames.
  unsigned char salt[crypto_pwhash_SALTBYTES];
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, sizeof salt);
  crypto_generichash_update(&state, detail::u8(kSaltContext), kSaltContext.size());
  crypto_generichash_update(&state, detail::u8(username), username.size());
  crypto_generichash_final(&state, salt, sizeof salt);

  SecretBytes master(crypto_kdf_KEYBYTES);
  if (crypto_pwhash(master.data(), master.size(), password.data(), password.size(), salt,
                    crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    // Fails only when its 64 MiB cannot be allocated; the API has no error path for that.
    std::fputs("fastchat crypto: Argon2id could not allocate its memory\n", stderr);
    std::abort();
  }
  return {derive_subkey(master, kAuthContext), derive_subkey(master, kStorageContext),
          derive_subkey(master, kLoginContext)};
}

}  // namespace fastchat::crypto
