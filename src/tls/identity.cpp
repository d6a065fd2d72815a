#include "tls/identity.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <asio/ip/address.hpp>
#include <filesystem>

#include "tls/openssl_util.h"

namespace fastchat::tls {

namespace {

constexpr long kValiditySeconds = 20L * 365 * 24 * 60 * 60;

struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

// Writes a new file (never over an existing one) with `mode`.
Status write_new_file(const std::string& path, const std::string& bytes, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Status(Code::kIo, "cannot create " + path);
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) {
      ::close(fd);
      return Status(Code::kIo, "cannot write " + path);
    }
    done += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  return synced ? Status::ok() : Status(Code::kIo, "cannot sync " + path);
}

Status add_extension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return Status(Code::kInternal, "bad extension " + value);
  const int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return ok == 1 ? Status::ok() : Status(Code::kInternal, "cannot add extension");
}

Status generate(const std::string& cert_path, const std::string& key_path,
                const std::vector<std::string>& names) {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  X509Ptr cert(X509_new());
  if (!key || !cert) return Status(Code::kInternal, "key generation: " + take_openssl_errors());
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValiditySeconds);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("fastchat-server"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  std::string san = "DNS:localhost,IP:127.0.0.1,IP:::1";
  for (const auto& n : names) {
    if (n.empty() || n == "localhost" || n == "127.0.0.1" || n == "::1") continue;
    asio::error_code not_ip;
    const auto address = asio::ip::make_address(n, not_ip);
    if (!not_ip && address.is_unspecified()) continue;  // 0.0.0.0 names no host
    san += (not_ip ? ",DNS:" : ",IP:") + n;
  }
  if (Status s = add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE"); !s)
    return s;
  if (Status s = add_extension(cert.get(), NID_subject_alt_name, san); !s) return s;
  if (Status s = add_extension(cert.get(), NID_subject_key_identifier, "hash"); !s) return s;
  if (X509_sign(cert.get(), key.get(), nullptr) <= 0)
    return Status(Code::kInternal, "cannot sign the certificate: " + take_openssl_errors());

  BioPtr key_pem(BIO_new(BIO_s_mem()));
  BioPtr cert_pem(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PrivateKey(key_pem.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) ||
      !PEM_write_bio_X509(cert_pem.get(), cert.get())) {
    return Status(Code::kInternal, "cannot encode the identity: " + take_openssl_errors());
  }
  // The key first: a certificate without its key is never left behind alone.
  if (Status s = write_new_file(key_path, bio_contents(key_pem.get()), 0600); !s) return s;
  return write_new_file(cert_path, bio_contents(cert_pem.get()), 0644);
}

}  // namespace

Result<IdentityFiles> ensure_identity(const std::string& cert_file, const std::string& key_file,
                                      const std::string& data_dir,
                                      const std::vector<std::string>& names) {
  if (cert_file.empty() != key_file.empty())
    return Status(Code::kBadRequest, "--tls-cert and --tls-key go together");
  std::error_code ec;
  if (!cert_file.empty()) {
    for (const auto* f : {&cert_file, &key_file}) {
      if (!std::filesystem::exists(*f, ec)) return Status(Code::kIo, "no such file: " + *f);
    }
    return IdentityFiles{cert_file, key_file, false};
  }
  IdentityFiles files{data_dir + "/tls-cert.pem", data_dir + "/tls-key.pem", false};
  const bool have_cert = std::filesystem::exists(files.cert_file, ec);
  const bool have_key = std::filesystem::exists(files.key_file, ec);
  if (have_cert && have_key) return files;
  if (have_cert != have_key) {
    return Status(Code::kIo, "found only one of " + files.cert_file + " and " + files.key_file +
                                 "; remove it to make a new identity");
  }
  if (Status s = generate(files.cert_file, files.key_file, names); !s) return s;
  files.generated = true;
  return files;
}

Result<std::string> certificate_fingerprint(const std::string& cert_file) {
  BioPtr bio(BIO_new_file(cert_file.c_str(), "r"));
  if (!bio) return Status(Code::kIo, "cannot read " + cert_file);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return Status(Code::kBadRequest, "no certificate in " + cert_file);
  std::string fp = key_fingerprint(cert.get());
  if (fp.empty()) return Status(Code::kInternal, "cannot fingerprint " + cert_file);
  return fp;
}

}  // namespace fastchat::tls
