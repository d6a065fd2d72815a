#include "crypto/membership.h"

#include <sodium.h>

#include <algorithm>

#include "crypto/byte_io.h"
#include "crypto/bytes.h"
#include "crypto/sodium_init.h"

namespace fastchat::crypto {

namespace {

using detail::u8;

constexpr std::string_view kRecordLabel = "fastchat/membership/v1";
constexpr std::string_view kMembersLabel = "fastchat/members/v1";
constexpr std::string_view kHashLabel = "fastchat/membership-hash/v1";
constexpr std::size_t kMaxName = 64;

std::string blake2b(std::string_view a, std::string_view b) {
  ensure_sodium();
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, kMembershipHashBytes);
  crypto_generichash_update(&state, u8(a), a.size());
  crypto_generichash_update(&state, u8(b), b.size());
  std::string out(kMembershipHashBytes, '\0');
  crypto_generichash_final(&state, u8(out), out.size());
  return out;
}

void write_members(detail::ByteWriter& w, const MemberList& members) {
  w.u32(static_cast<std::uint32_t>(members.size()));
  for (const auto& m : members) {
    w.short_bytes(m.username);
    w.u8(m.admin ? 1 : 0);
  }
}

bool read_members(detail::ByteReader& r, MemberList& out) {
  std::uint32_t n = 0;
  if (!r.u32(n) || n > kMaxSignedMembers) return false;
  // Each member takes at least two bytes: no reserve beyond what the input can hold.
  if (n > r.remaining() / 2) return false;
  out.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    std::string_view name;
    std::uint8_t admin = 0;
    if (!r.short_bytes(name, kMaxName) || !r.u8(admin) || admin > 1 || name.empty()) return false;
    out.push_back(SignedMember{std::string(name), admin == 1});
  }
  return true;
}

// Everything the signature covers.
void write_signed(detail::ByteWriter& w, const MembershipRecord& r) {
  w.bytes(kRecordLabel);
  w.u64(r.group_id);
  w.u64(r.seq);
  w.short_bytes(r.prev_hash);
  w.short_bytes(r.actor);
  w.u8(static_cast<std::uint8_t>(r.action));
  w.short_bytes(r.subject);
  write_members(w, r.initial);
  w.short_bytes(r.members_hash);
  w.u64(static_cast<std::uint64_t>(r.created_ms));
}

bool valid_shape(const MembershipRecord& r) {
  const auto a = static_cast<std::uint8_t>(r.action);
  if (a < 1 || a > 4 || r.group_id == 0 || r.seq == 0) return false;
  if (r.actor.empty() || r.actor.size() > kMaxName || r.subject.size() > kMaxName) return false;
  if (r.members_hash.size() != kMembershipHashBytes) return false;
  if ((r.seq == 1) != r.prev_hash.empty()) return false;
  if (!r.prev_hash.empty() && r.prev_hash.size() != kMembershipHashBytes) return false;
  const bool create = r.action == MembershipAction::kCreate;
  if (create != (r.seq == 1)) return false;  // a chain starts with its only create
  if (create ? (!r.subject.empty() || r.initial.empty())
             : (r.subject.empty() || !r.initial.empty()))
    return false;
  if (r.action == MembershipAction::kLeave && r.subject != r.actor) return false;
  if (r.action == MembershipAction::kRemove && r.subject == r.actor) return false;
  return true;
}

MemberList::iterator find(MemberList& members, std::string_view name) {
  return std::find_if(members.begin(), members.end(),
                      [name](const SignedMember& m) { return m.username == name; });
}

Status unverified(std::string message) {
  return Status(Code::kMembershipUnverified, std::move(message));
}

}  // namespace

const char* action_name(MembershipAction action) {
  switch (action) {
    case MembershipAction::kCreate:
      return "created";
    case MembershipAction::kAdd:
      return "added";
    case MembershipAction::kRemove:
      return "removed";
    case MembershipAction::kLeave:
      return "left";
  }
  return "changed";
}

std::string members_hash(const MemberList& members) {
  MemberList sorted = members;
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.username < b.username; });
  detail::ByteWriter w(16 + sorted.size() * 16);
  write_members(w, sorted);
  return blake2b(kMembersLabel, w.view());
}

std::string record_hash(const MembershipRecord& record) {
  return blake2b(kHashLabel, encode_record(record));
}

std::string encode_record(const MembershipRecord& record) {
  detail::ByteWriter w(256 + record.initial.size() * 16);
  write_signed(w, record);
  w.bytes(record.signature);
  return w.take_public();
}

Result<MembershipRecord> decode_record(std::string_view bytes) {
  const auto bad = [] {
    return Result<MembershipRecord>(Code::kBadRequest, "malformed membership record");
  };
  if (bytes.size() > kMaxRecordBytes) return bad();
  detail::ByteReader r(bytes);
  std::string_view label, prev, actor, subject, hash, signature;
  MembershipRecord out;
  std::uint8_t action = 0;
  std::uint64_t created = 0;
  if (!r.bytes(kRecordLabel.size(), label) || label != kRecordLabel) return bad();
  if (!r.u64(out.group_id) || !r.u64(out.seq) || !r.short_bytes(prev) ||
      !r.short_bytes(actor, kMaxName) || !r.u8(action) || !r.short_bytes(subject, kMaxName) ||
      !read_members(r, out.initial) || !r.short_bytes(hash) || !r.u64(created) ||
      !r.bytes(crypto_sign_BYTES, signature) || !r.at_end()) {
    return bad();
  }
  out.prev_hash = prev;
  out.actor = actor;
  out.action = static_cast<MembershipAction>(action);
  out.subject = subject;
  out.members_hash = hash;
  out.created_ms = static_cast<std::int64_t>(created);
  out.signature = signature;
  if (!valid_shape(out)) return bad();
  return out;
}

void sign_record(MembershipRecord& record, const Identity& identity) {
  detail::ByteWriter w(256 + record.initial.size() * 16);
  write_signed(w, record);
  const std::string_view statement = w.view();
  record.signature.assign(crypto_sign_BYTES, '\0');
  crypto_sign_detached(u8(record.signature), nullptr, u8(statement), statement.size(),
                       identity.sign_secret_key().data());
}

Status verify_record_signature(const MembershipRecord& record, std::string_view sign_public_key) {
  ensure_sodium();
  if (sign_public_key.size() != crypto_sign_PUBLICKEYBYTES ||
      record.signature.size() != crypto_sign_BYTES) {
    return Status(Code::kCrypto, "membership record signature has the wrong size");
  }
  detail::ByteWriter w(256 + record.initial.size() * 16);
  write_signed(w, record);
  const std::string_view statement = w.view();
  if (crypto_sign_verify_detached(u8(record.signature), u8(statement), statement.size(),
                                  u8(sign_public_key)) != 0) {
    return Status(Code::kCrypto, "membership record signed by " + record.actor +
                                     " does not verify with " + record.actor + "'s key");
  }
  return Status::ok();
}

Status apply_change(MemberList& members, const MembershipRecord& record) {
  if (!valid_shape(record)) return Status(Code::kBadRequest, "malformed membership record");
  const auto actor = find(members, record.actor);
  const bool actor_admin = actor != members.end() && actor->admin;
  switch (record.action) {
    case MembershipAction::kCreate: {
      if (!members.empty()) return Status(Code::kBadRequest, "the group was created already");
      MemberList list;
      bool actor_listed_admin = false;
      for (const auto& m : record.initial) {
        if (find(list, m.username) != list.end())
          return Status(Code::kBadRequest, m.username + " is listed twice");
        actor_listed_admin = actor_listed_admin || (m.username == record.actor && m.admin);
        list.push_back(m);
      }
      if (!actor_listed_admin)
        return Status(Code::kForbidden, "the creator must be an admin of the group");
      members = std::move(list);
      return Status::ok();
    }
    case MembershipAction::kAdd:
      if (!actor_admin) return Status(Code::kForbidden, record.actor + " is not an admin");
      if (find(members, record.subject) != members.end())
        return Status(Code::kBadRequest, record.subject + " is a member already");
      members.push_back(SignedMember{record.subject, false});
      return Status::ok();
    case MembershipAction::kRemove:
    case MembershipAction::kLeave: {
      if (record.action == MembershipAction::kRemove && !actor_admin)
        return Status(Code::kForbidden, record.actor + " is not an admin");
      if (actor == members.end())
        return Status(Code::kForbidden, record.actor + " is not a member");
      auto subject = find(members, record.subject);
      if (subject == members.end())
        return Status(Code::kBadRequest, record.subject + " is not a member");
      members.erase(subject);
      // As the server does: with no admin left, the longest-standing member becomes one.
      const bool admin_left =
          std::any_of(members.begin(), members.end(), [](const auto& m) { return m.admin; });
      if (!admin_left && !members.empty()) members.front().admin = true;
      return Status::ok();
    }
  }
  return Status(Code::kBadRequest, "unknown membership action");
}

MembershipChain::MembershipChain(GroupId group, std::uint64_t seq, std::string head_hash,
                                 MemberList members)
    : group_(group), seq_(seq), head_hash_(std::move(head_hash)), members_(std::move(members)) {}

bool MembershipChain::is_member(std::string_view username) const {
  return std::any_of(members_.begin(), members_.end(),
                     [username](const auto& m) { return m.username == username; });
}

bool MembershipChain::is_admin(std::string_view username) const {
  return std::any_of(members_.begin(), members_.end(),
                     [username](const auto& m) { return m.username == username && m.admin; });
}

Status MembershipChain::append(const MembershipRecord& record, std::string_view actor_sign_key) {
  const std::string where = "group " + std::to_string(record.group_id) + " membership record " +
                            std::to_string(record.seq) + ": ";
  if (group_ != 0 && record.group_id != group_) return unverified(where + "names another group");
  if (record.seq != seq_ + 1) {
    return unverified(where + "expected record " + std::to_string(seq_ + 1) +
                      " (the chain was cut, replayed or reordered)");
  }
  if (record.prev_hash != head_hash_) {
    return unverified(where + "does not follow the record before it (a forked chain)");
  }
  if (Status s = verify_record_signature(record, actor_sign_key); !s)
    return unverified(where + s.message());
  MemberList after = members_;
  if (Status s = apply_change(after, record); !s)
    return unverified(where + "not allowed: " + s.message());
  if (sodium_memcmp(u8(members_hash(after)), u8(record.members_hash), kMembershipHashBytes) != 0)
    return unverified(where + "its member list does not match the change it names");
  group_ = record.group_id;
  seq_ = record.seq;
  head_hash_ = record_hash(record);
  members_ = std::move(after);
  return Status::ok();
}

Result<MembershipRecord> MembershipChain::next(std::string_view actor, MembershipAction action,
                                               std::string_view subject, MemberList initial,
                                               std::int64_t now_ms) const {
  MembershipRecord record;
  record.group_id = group_;
  record.seq = seq_ + 1;
  record.prev_hash = head_hash_;
  record.actor = actor;
  record.action = action;
  record.subject = subject;
  record.initial = std::move(initial);
  record.members_hash.assign(kMembershipHashBytes, '\0');
  record.created_ms = now_ms;
  MemberList after = members_;
  if (Status s = apply_change(after, record); !s) return s;
  record.members_hash = members_hash(after);
  return record;
}

std::string encode_members(const MemberList& members) {
  detail::ByteWriter w(16 + members.size() * 16);
  write_members(w, members);
  return w.take_public();
}

Result<MemberList> decode_members(std::string_view bytes) {
  detail::ByteReader r(bytes);
  MemberList out;
  if (!read_members(r, out) || !r.at_end())
    return Result<MemberList>(Code::kBadRequest, "malformed member list");
  return out;
}

}  // namespace fastchat::crypto
