#include "tls/known_hosts.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

namespace fastchat::tls {

namespace {

std::vector<std::pair<std::string, std::string>> read_pins(const std::string& file) {
  std::vector<std::pair<std::string, std::string>> pins;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string address, fingerprint;
    if (fields >> address >> fingerprint) pins.emplace_back(address, fingerprint);
  }
  return pins;
}

}  // namespace

std::optional<std::string> find_pin(const std::string& file, const std::string& address) {
  for (auto& [a, f] : read_pins(file)) {
    if (a == address) return f;
  }
  return std::nullopt;
}

Status save_pin(const std::string& file, const std::string& address,
                const std::string& fingerprint) {
  auto pins = read_pins(file);
  bool replaced = false;
  for (auto& [a, f] : pins) {
    if (a == address) {
      f = fingerprint;
      replaced = true;
    }
  }
  if (!replaced) pins.emplace_back(address, fingerprint);
  std::string text = "# fastchat: pinned server keys (HOST:PORT SHA256:...)\n";
  for (auto& [a, f] : pins)
    text += a + " " + f + "\n";
  // Written aside and renamed over: a crash never leaves a half-written file.
  const std::string tmp = file + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status(Code::kIo, "cannot write " + tmp);
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), file.c_str()) != 0)
    return Status(Code::kIo, "cannot write " + file);
  return Status::ok();
}

ServerTrust::ServerTrust(std::string known_hosts_file, bool ca_only)
    : file_(std::move(known_hosts_file)), ca_only_(ca_only) {}

Status ServerTrust::check(const std::string& address, const Channel& channel,
                          const std::string& expect) {
  const std::string fingerprint = channel.peer_fingerprint();
  if (fingerprint.empty()) return Status(Code::kCrypto, address + " presented no certificate");
  if (!expect.empty()) {
    if (fingerprint == expect) return Status::ok();
    return Status(Code::kCrypto, "the balancer sent us to " + address + ", whose key " +
                                     fingerprint + " is not the cluster's (" + expect +
                                     "); refusing it");
  }
  if (channel.peer_verified()) return Status::ok();
  if (ca_only_) {
    return Status(Code::kCrypto,
                  "the certificate of " + address +
                      " does not verify against the trusted CAs: " + channel.peer_verify_error());
  }
  std::lock_guard lock(mutex_);
  std::optional<std::string> pinned;
  if (file_.empty()) {
    if (auto it = memory_.find(address); it != memory_.end()) pinned = it->second;
  } else {
    pinned = find_pin(file_, address);
  }
  if (pinned && *pinned == fingerprint) return Status::ok();
  if (pinned) {
    return Status(Code::kCrypto,
                  "THE SERVER KEY OF " + address + " HAS CHANGED: pinned " + *pinned +
                      ", now presented " + fingerprint +
                      ". Someone may be intercepting this connection, or the server got a new "
                      "key. Compare the new fingerprint with the one the server's operator "
                      "sees (fastchat-server --print-fingerprint); only if they match, run: "
                      "fastchat trust-server " +
                      address + " " + fingerprint);
  }
  if (file_.empty()) {
    memory_[address] = fingerprint;
    return Status::ok();
  }
  if (Status s = save_pin(file_, address, fingerprint); !s) return s;
  spdlog::info("trusting {} on first use: key {} (pinned in {})", address, fingerprint, file_);
  return Status::ok();
}

}  // namespace fastchat::tls
