#include "tls/openssl_util.h"

#include <openssl/err.h>
#include <openssl/sha.h>

#include <vector>

namespace fastchat::tls {

std::string take_openssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

std::string key_fingerprint(X509* cert) {
  if (cert == nullptr) return {};
  const int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), nullptr);
  if (len <= 0) return {};
  std::vector<unsigned char> der(static_cast<std::size_t>(len));
  unsigned char* p = der.data();
  if (i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &p) != len) return {};
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(der.data(), der.size(), digest);
  unsigned char b64[4 * ((SHA256_DIGEST_LENGTH + 2) / 3) + 1];
  const int n = EVP_EncodeBlock(b64, digest, SHA256_DIGEST_LENGTH);
  std::string out(reinterpret_cast<char*>(b64), static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=')
    out.pop_back();
  return "SHA256:" + out;
}

}  // namespace fastchat::tls
