// The server's TLS identity: the PEM certificate chain and private key it presents.
// Given files are used as they are; without them a self-signed Ed25519 certificate
// and key are made once in the data dir (key file 0600) and reused on every start.
// Stateless functions over files; safe from any thread (not on the same files at once).
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace fastchat::tls {

struct IdentityFiles {
  std::string cert_file;   // PEM chain, leaf first
  std::string key_file;    // PEM private key
  bool generated = false;  // made by this call (first start)
};

// `cert_file` and `key_file` both given: checked to exist. Both empty:
// <data_dir>/tls-cert.pem and <data_dir>/tls-key.pem, made when missing, with
// `names` (host names or IP addresses) and localhost/127.0.0.1/::1 as subject
// alternative names. One without the other: kBadRequest.
Result<IdentityFiles> ensure_identity(const std::string& cert_file, const std::string& key_file,
                                      const std::string& data_dir,
                                      const std::vector<std::string>& names);

// The key fingerprint (key_fingerprint()) of the first certificate of a PEM file.
Result<std::string> certificate_fingerprint(const std::string& cert_file);

}  // namespace fastchat::tls
