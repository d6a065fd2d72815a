#include "crypto/secret.h"

#include <sodium.h>

#include <cstring>

namespace fastchat::crypto {

SecretBytes::SecretBytes(std::size_t size) : bytes_(size, 0) {}

SecretBytes::SecretBytes(std::string_view bytes) : bytes_(bytes.size()) {
  if (!bytes.empty()) std::memcpy(bytes_.data(), bytes.data(), bytes.size());
}

SecretBytes::~SecretBytes() {
  wipe();
}

// Moving a std::vector hands over its heap buffer, so no copy of the secret is left behind.
SecretBytes::SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {
  other.bytes_.clear();
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    wipe();
    bytes_ = std::move(other.bytes_);
    other.bytes_.clear();
  }
  return *this;
}

bool SecretBytes::equals(std::string_view other) const {
  if (other.size() != bytes_.size()) return false;
  if (bytes_.empty()) return true;
  return sodium_memcmp(bytes_.data(), other.data(), bytes_.size()) == 0;
}

void SecretBytes::wipe() {
  if (!bytes_.empty()) sodium_memzero(bytes_.data(), bytes_.size());
  bytes_.clear();
}

}  // namespace fastchat::crypto
