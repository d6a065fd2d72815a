// Small OpenSSL helpers: owning pointers for OpenSSL objects, the error queue as a
// message, public-key fingerprints. Stateless; safe from any thread.
#pragma once

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace fastchat::tls {

struct SslCtxFree {
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
};
struct SslFree {
  void operator()(SSL* p) const { SSL_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct SslSessionFree {
  void operator()(SSL_SESSION* p) const { SSL_SESSION_free(p); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;
using SslPtr = std::unique_ptr<SSL, SslFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using SslSessionPtr = std::unique_ptr<SSL_SESSION, SslSessionFree>;

// Empties this thread's OpenSSL error queue into one line ("" when it was empty).
std::string take_openssl_errors();

// The key fingerprint users compare and pin: "SHA256:" + unpadded base64 of the
// SHA-256 of the certificate's SubjectPublicKeyInfo (DER), as OpenSSH prints keys.
// It survives a certificate renewal that keeps the key. "" on failure.
std::string key_fingerprint(X509* cert);

}  // namespace fastchat::tls
