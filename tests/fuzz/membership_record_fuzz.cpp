// Fuzzes the signed-membership record decoder (crypto/membership.h) the way client and
// server use it: decode, then check it against a small chain. A record that decodes
// must encode back to the same bytes (one encoding: what is signed is what is stored).
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/membership.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fastchat::crypto;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto record = decode_record(input);
  if (!record) return 0;
  if (encode_record(*record) != input) __builtin_trap();
  MemberList members{{"alice", true}, {"bob", false}};
  (void)apply_change(members, *record);
  MembershipChain chain(record->group_id, record->seq - 1, record->prev_hash, members);
  if (chain.append(*record, std::string(32, '\x07'))) __builtin_trap();  // no valid signature
  return 0;
}
