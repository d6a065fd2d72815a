// InboxCursor: which inbox sequence numbers are processed, so the client acks only
// a contiguous prefix (DESIGN §4). Live pushes can arrive ahead of a sync that is
// still catching up; they are remembered as "done above" until the gap closes.
// Sync pages are authoritative for their range: the server returns everything after
// `after_seq`, so a seq missing from a page does not exist.
//
// Thread safety: none (a value owned by one Client).
#pragma once

#include <cstdint>

#include "common/seq_set.h"

namespace fastchat::client {

class InboxCursor {
 public:
  // Beyond this many out-of-order seqs the cursor asks for a sync instead.
  static constexpr std::size_t kMaxAhead = SeqSet::kMaxAhead;

  explicit InboxCursor(std::uint64_t processed = 0, std::uint64_t acked = 0)
      : done_(processed), acked_(acked) {}

  // Everything up to here is processed (and may be acked).
  std::uint64_t processed() const { return done_.floor(); }
  bool is_done(std::uint64_t seq) const { return done_.contains(seq); }

  // Marks one seq processed; the contiguous prefix grows when gaps close. When too many
  // wait above a gap, the seq is not remembered: a sync will redo it.
  void mark_done(std::uint64_t seq) { done_.insert(seq); }
  // A sync page covered (after_seq, up_to]: all of it is processed now.
  void mark_range_done(std::uint64_t up_to) { done_.insert_up_to(up_to); }
  // Too many pushes wait for a gap to close: a sync should fill it.
  bool needs_sync() const { return done_.full(); }

  std::uint64_t acked() const { return acked_; }
  bool needs_ack() const { return done_.floor() > acked_; }
  void set_acked(std::uint64_t seq) {
    if (seq > acked_) acked_ = seq;
  }

 private:
  SeqSet done_;
  std::uint64_t acked_;
};

}  // namespace fastchat::client
