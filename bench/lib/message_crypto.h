// MessageCrypto: how the bench users encrypt their messages, E2EE v1 or v2, set up
// before the load so that the timed part only seals and opens (docs/performance.md,
// "E2EE v1 and v2").
//   v1: the crypto_box shared key of every pair (PairKeys); a group message is one
//       body plus one key wrap per other member.
//   v2: per pair a Double Ratchet session on each side (crypto::PeerSessions, as the
//       client keeps them), opened in memory by X3DH with each user's signed prekey
//       and one round trip, so every timed message is a ratchet message; per group and
//       sender a Sender Key chain whose distribution every other member adds in memory
//       (the client sends it over the 1:1 session); every group message is one signed
//       sender-key ciphertext for the signed membership chain's length.
// Thread safety: add_pairs()/add_group() on one thread before the load; afterwards
// seal_*() only on the loop of the sending user and open() only on the loop of the
// receiving user (each side's state belongs to its user), so nothing is shared.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "accounts.h"
#include "common/message_id.h"
#include "common/status.h"
#include "fastchat.pb.h"
#include "pair_keys.h"

namespace fastchat::crypto {
class PeerSessions;
}  // namespace fastchat::crypto

namespace fastchat::bench {

enum class E2ee { kV1, kV2 };

// "v1" or "v2"; kBadRequest otherwise.
Result<E2ee> parse_e2ee(std::string_view name);
const char* e2ee_name(E2ee version);

class MessageCrypto {
 public:
  MessageCrypto(E2ee version, const std::vector<BenchAccount>& accounts);
  ~MessageCrypto();
  MessageCrypto(const MessageCrypto&) = delete;
  MessageCrypto& operator=(const MessageCrypto&) = delete;

  E2ee version() const { return version_; }

  // Makes the keys (v1) or sessions (v2) of `pairs` (account indexes, either order)
  // not present yet, on up to `threads` threads.
  Status add_pairs(const std::vector<std::pair<std::uint32_t, std::uint32_t>>& pairs,
                   std::size_t threads);
  // `members` in the server's order; `senders` among them. v1 needs add_pairs() of every
  // (sender, member) first; v2 makes the senders' chains and hands them to the members.
  // `membership_seq`: the length of the group's signed membership chain (v2).
  Status add_group(GroupId group, const std::vector<std::uint32_t>& members,
                   const std::vector<std::uint32_t>& senders, std::uint64_t membership_seq);

  // Sets the body of `send` (and its key wraps, or membership_seq) for `content`.
  Status seal_direct(std::uint32_t from, std::uint32_t to, const wire::Content& content,
                     wire::Send& send);
  // v2 also sets content.membership_seq, as the client does.
  Status seal_group(GroupId group, std::uint32_t from, wire::Content& content, wire::Send& send);
  // Decrypts and verifies `item` delivered to `me` from `sender`, and checks its sealed
  // routing fields. kCrypto (or kNotFound without keys) when it does not open.
  Result<wire::Content> open(std::uint32_t me, std::uint32_t sender,
                             const wire::InboxMessage& item);

  std::size_t sessions() const;

 private:
  struct Device;
  struct Group;
  static std::uint64_t ordered(std::uint32_t owner, std::uint32_t peer) {
    return (std::uint64_t{owner} << 32) | peer;
  }
  Status add_sessions(const std::vector<std::pair<std::uint32_t, std::uint32_t>>& pairs,
                      std::size_t threads);

  E2ee version_;
  const std::vector<BenchAccount>& accounts_;
  PairKeys pair_keys_;  // v1
  // v2: per account its device (address, signed prekey); per (owner, peer) the owner's
  // sessions with the peer.
  std::vector<std::unique_ptr<Device>> devices_;
  std::unordered_map<std::uint64_t, std::unique_ptr<crypto::PeerSessions>> sessions_;
  std::unordered_map<GroupId, std::unique_ptr<Group>> groups_;
};

}  // namespace fastchat::bench
