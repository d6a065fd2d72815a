// Wire forms of the X3DH structs (docs/e2ee-v2.md "Formats"): a fixed binary layout
// with strict lengths, so src/crypto needs no protobuf and every decoder can be fuzzed.
// Decoders check form only; verify_bundle() checks the signature. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/x3dh.h"

namespace fastchat::crypto {

inline constexpr unsigned char kPrekeyBundleV1 = 0x15;

std::string encode_bundle(const PrekeyBundle& bundle);
// kCrypto on any malformed input (wrong version, sizes, trailing bytes).
Result<PrekeyBundle> decode_bundle(std::string_view bytes);

}  // namespace fastchat::crypto
