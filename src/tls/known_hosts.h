// ServerTrust: how a client decides to trust a server after the TLS handshake. A
// certificate that verifies against the trusted CAs and matches the host name is
// trusted; otherwise the server's key is pinned on first use per HOST:PORT in a
// known_hosts file (like SSH's: one "HOST:PORT SHA256:..." line each), and a key
// that differs from its pin is a hard error that names the command accepting it.
//
// Thread safety: check() and the pin functions may be called from any thread (one
// mutex around the file; short and never held across I/O other than the file).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/status.h"
#include "tls/channel.h"

namespace fastchat::tls {

class ServerTrust {
 public:
  // `known_hosts_file` empty: pins live in memory only (throwaway clients, the load
  // tester). `ca_only`: never pin; only a CA-verified certificate is trusted (a
  // --ca-file was given).
  explicit ServerTrust(std::string known_hosts_file, bool ca_only = false);

  // After the handshake with `address` ("HOST:PORT"). `expect` non-empty: the key
  // must be exactly this fingerprint (a balancer's redirect target must prove the
  // balancer's own cluster identity). kCrypto with a message for the user otherwise.
  Status check(const std::string& address, const Channel& channel, const std::string& expect = {});

  const std::string& file() const { return file_; }

 private:
  std::string file_;
  bool ca_only_;
  std::mutex mutex_;
  std::map<std::string, std::string> memory_;  // when file_ is empty; guarded by mutex_
};

// The pinned fingerprint of `address` in `file`, if any.
std::optional<std::string> find_pin(const std::string& file, const std::string& address);
// Pins (or re-pins) `address` to `fingerprint` in `file` (created 0600 when missing).
Status save_pin(const std::string& file, const std::string& address,
                const std::string& fingerprint);

}  // namespace fastchat::tls
