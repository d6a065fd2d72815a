// Signed group membership (docs/e2ee-v2.md, "Group membership"): every change to a
// group's members is a record signed by the member who made it, naming the group, its
// place in the group's chain and the hash of the record before it, and committing to
// the member list it results in. The server stores and hands out the chain; clients
// replay it (MembershipChain) and wrap group keys only for the list it proves, so a
// server cannot add a member, drop a removal, replay an old list or fork the chain.
//
// The record's bytes are this module's format (encode_record / decode_record), sent and
// stored as opaque bytes. Value types; not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/message_id.h"
#include "common/status.h"
#include "crypto/identity.h"

namespace fastchat::crypto {

enum class MembershipAction : std::uint8_t {
  kCreate = 1,  // the first record: the group's members as it starts (the actor an admin)
  kAdd = 2,     // an admin added `subject`
  kRemove = 3,  // an admin removed `subject` (another member)
  kLeave = 4,   // the actor left (subject = actor)
};

const char* action_name(MembershipAction action);

struct SignedMember {
  std::string username;
  bool admin = false;
  bool operator==(const SignedMember&) const = default;
};

// In order of joining: when the last admin goes, the first member left becomes admin.
using MemberList = std::vector<SignedMember>;

struct MembershipRecord {
  GroupId group_id = 0;
  std::uint64_t seq = 0;  // 1 for the group's first record
  std::string prev_hash;  // record_hash() of record seq-1; empty for seq 1
  std::string actor;
  MembershipAction action = MembershipAction::kCreate;
  std::string subject;          // kAdd, kRemove: the member; kLeave: the actor; kCreate: empty
  MemberList initial;           // kCreate only: the members, in order of joining
  std::string members_hash;     // members_hash() of the list after this change
  std::int64_t created_ms = 0;  // the actor's clock; shown, never trusted for order
  std::string signature;        // Ed25519 by the actor's identity sign key, 64 bytes
};

inline constexpr std::size_t kMembershipHashBytes = 32;
// Bounds what decode_record accepts (a server cannot make a client allocate more).
inline constexpr std::size_t kMaxSignedMembers = 100'000;
inline constexpr std::size_t kMaxRecordBytes = 4 << 20;

// BLAKE2b-256 over the members sorted by username, with their admin flags.
std::string members_hash(const MemberList& members);
// BLAKE2b-256 over the whole encoded record (signature included): what the next names.
std::string record_hash(const MembershipRecord& record);

std::string encode_record(const MembershipRecord& record);
// kBadRequest for anything malformed, oversized or with trailing bytes.
Result<MembershipRecord> decode_record(std::string_view bytes);

// Signs `record` (every field but the signature must be set) with `identity`.
void sign_record(MembershipRecord& record, const Identity& identity);
// kCrypto when the signature does not verify with `sign_public_key`.
Status verify_record_signature(const MembershipRecord& record, std::string_view sign_public_key);

// Applies the change `record` describes to `members` (the list before it), checking that
// the actor may make it: kForbidden (not an admin, not a member) or kBadRequest (an
// add of a member, a removal of a non-member, a malformed create). Does not look at the
// signature, sequence or hashes. `members` is unchanged on error.
Status apply_change(MemberList& members, const MembershipRecord& record);

// A group's verified membership: the head of its chain and the list it proves.
class MembershipChain {
 public:
  MembershipChain() = default;  // before the first record
  MembershipChain(GroupId group, std::uint64_t seq, std::string head_hash, MemberList members);

  GroupId group_id() const { return group_; }
  std::uint64_t seq() const { return seq_; }  // 0: no record yet
  const std::string& head_hash() const { return head_hash_; }
  const MemberList& members() const { return members_; }
  bool is_member(std::string_view username) const;
  bool is_admin(std::string_view username) const;

  // Appends the next record: it must name this group, seq()+1 and head_hash(), verify
  // with `actor_sign_key`, be allowed (apply_change) and commit to the list it makes.
  // kMembershipUnverified (with what is wrong) otherwise; nothing changes then.
  Status append(const MembershipRecord& record, std::string_view actor_sign_key);

  // The next record `actor` would sign for `action` on `subject` (kCreate: `initial`),
  // with the resulting members_hash; kForbidden/kBadRequest as apply_change.
  Result<MembershipRecord> next(std::string_view actor, MembershipAction action,
                                std::string_view subject, MemberList initial,
                                std::int64_t now_ms) const;

 private:
  GroupId group_ = 0;
  std::uint64_t seq_ = 0;
  std::string head_hash_;
  MemberList members_;
};

// Member lists as the client keeps them between runs (its verified head).
std::string encode_members(const MemberList& members);
Result<MemberList> decode_members(std::string_view bytes);

}  // namespace fastchat::crypto
