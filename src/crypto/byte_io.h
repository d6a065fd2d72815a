// Internal to src/crypto: the fixed binary formats of E2EE v2 (docs/e2ee-v2.md) are
// written with ByteWriter and read with ByteReader, which refuses any short or
// oversized field. Integers are big-endian. ByteWriter wipes every buffer it drops,
// so serialized secrets leave no copies behind. Value types; not thread-safe.
#pragma once

#include <sodium.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/secret.h"

namespace fastchat::crypto::detail {

class ByteWriter {
 public:
  explicit ByteWriter(std::size_t reserve = 256) { buf_.reserve(reserve); }
  ~ByteWriter() { wipe(buf_); }
  ByteWriter(const ByteWriter&) = delete;
  ByteWriter& operator=(const ByteWriter&) = delete;

  void u8(std::uint8_t v) { append(reinterpret_cast<const char*>(&v), 1); }
  void u32(std::uint32_t v) {
    const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
    append(b, 4);
  }
  void u64(std::uint64_t v) {
    u32(static_cast<std::uint32_t>(v >> 32));
    u32(static_cast<std::uint32_t>(v));
  }
  void bytes(std::string_view v) { append(v.data(), v.size()); }
  // One length byte then the bytes; the caller guarantees v.size() <= 255.
  void short_bytes(std::string_view v) {
    u8(static_cast<std::uint8_t>(v.size()));
    bytes(v);
  }
  // Four length bytes then the bytes.
  void long_bytes(std::string_view v) {
    u32(static_cast<std::uint32_t>(v.size()));
    bytes(v);
  }

  std::string_view view() const {
    return {reinterpret_cast<const char*>(buf_.data()), buf_.size()};
  }
  std::string take_public() const { return std::string(view()); }
  SecretBytes take_secret() const { return SecretBytes(view()); }

 private:
  static void wipe(std::vector<std::uint8_t>& v) {
    if (!v.empty()) sodium_memzero(v.data(), v.size());
  }
  void append(const char* data, std::size_t n) {
    if (buf_.size() + n > buf_.capacity()) {
      std::vector<std::uint8_t> bigger;
      bigger.reserve(std::max(buf_.capacity() * 2, buf_.size() + n));
      bigger.assign(buf_.begin(), buf_.end());
      wipe(buf_);
      buf_.swap(bigger);
    }
    buf_.insert(buf_.end(), reinterpret_cast<const std::uint8_t*>(data),
                reinterpret_cast<const std::uint8_t*>(data) + n);
  }

  std::vector<std::uint8_t> buf_;
};

// Every read returns false (and reads nothing) when the input is too short; after a
// failed read the reader stays failed.
class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}

  bool u8(std::uint8_t& v) {
    std::string_view b;
    if (!bytes(1, b)) return false;
    v = static_cast<std::uint8_t>(b[0]);
    return true;
  }
  bool u32(std::uint32_t& v) {
    std::string_view b;
    if (!bytes(4, b)) return false;
    v = 0;
    for (char c : b)
      v = (v << 8) | static_cast<std::uint8_t>(c);
    return true;
  }
  bool u64(std::uint64_t& v) {
    std::uint32_t hi = 0, lo = 0;
    if (!u32(hi) || !u32(lo)) return false;
    v = (std::uint64_t{hi} << 32) | lo;
    return true;
  }
  bool bytes(std::size_t n, std::string_view& out) {
    if (failed_ || in_.size() < n) return fail();
    out = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }
  bool short_bytes(std::string_view& out, std::size_t max = 255) {
    std::uint8_t n = 0;
    if (!u8(n)) return false;
    if (n > max) return fail();
    return bytes(n, out);
  }
  bool long_bytes(std::string_view& out, std::size_t max) {
    std::uint32_t n = 0;
    if (!u32(n)) return false;
    if (n > max) return fail();
    return bytes(n, out);
  }
  std::string_view rest() {
    std::string_view r = in_;
    in_ = {};
    return r;
  }
  bool at_end() const { return !failed_ && in_.empty(); }
  std::size_t remaining() const { return in_.size(); }

 private:
  bool fail() {
    failed_ = true;
    return false;
  }
  std::string_view in_;
  bool failed_ = false;
};

}  // namespace fastchat::crypto::detail
