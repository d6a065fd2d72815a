// InboxCursor: which inbox sequence numbers are processed, so the client acks only
// a contiguous prefix (DESIGN §4). Live pushes can arrive ahead of a sync that is
// still catching up; they are remembered as "done above" until the gap closes.
// Sync pages are authoritative for their range: the server returns everything after
// `after_seq`, so a seq missing from a page does not exist.
//
// Thread safety: none (a value owned by one Client).
#pragma once

#include <cstdint>
#include <set>

namespace fastchat::client {

class InboxCursor {
 public:
  // Beyond this many out-of-order seqs the cursor asks for a sync instead.
  static constexpr std::size_t kMaxAhead = 4096;

  explicit InboxCursor(std::uint64_t processed = 0, std::uint64_t acked = 0)
      : processed_(processed), acked_(acked) {}

  // Everything up to here is processed (and may be acked).
  std::uint64_t processed() const { return processed_; }
  bool is_done(std::uint64_t seq) const { return seq <= processed_ || ahead_.count(seq) != 0; }

  // Marks one seq processed; the contiguous prefix grows when gaps close.
  void mark_done(std::uint64_t seq);
  // A sync page covered (after_seq, up_to]: all of it is processed now.
  void mark_range_done(std::uint64_t up_to);
  // Too many pushes wait for a gap to close: a sync should fill it.
  bool needs_sync() const { return ahead_.size() >= kMaxAhead; }

  std::uint64_t acked() const { return acked_; }
  bool needs_ack() const { return processed_ > acked_; }
  void set_acked(std::uint64_t seq) {
    if (seq > acked_) acked_ = seq;
  }

 private:
  void advance();

  std::uint64_t processed_;
  std::uint64_t acked_;
  std::set<std::uint64_t> ahead_;  // done, above processed_ + 1
};

}  // namespace fastchat::client
