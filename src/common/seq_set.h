// SeqSet: a set of gapless sequence numbers (inbox seqs) that arrive mostly in order:
// a contiguous prefix 1..floor() plus a bounded set of the numbers seen above it,
// merged into the prefix as gaps close. Used for what a client has processed
// (client::InboxCursor) and what a server session has sent (server::SentSeqs).
//
// Thread safety: none (a value).
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>

namespace fastchat {

class SeqSet {
 public:
  // At most this many numbers are remembered above the prefix; insert() of another
  // one that does not extend the prefix is refused.
  static constexpr std::size_t kMaxAhead = 4096;

  explicit SeqSet(std::uint64_t floor = 0) : floor_(floor) {}

  bool contains(std::uint64_t seq) const { return seq <= floor_ || ahead_.count(seq) != 0; }
  // False when `seq` could not be remembered (kMaxAhead numbers wait above a gap).
  bool insert(std::uint64_t seq);
  // Everything up to `seq` is in the set.
  void insert_up_to(std::uint64_t seq);
  // Only 1..floor.
  void reset(std::uint64_t floor);

  std::uint64_t floor() const { return floor_; }
  std::size_t ahead() const { return ahead_.size(); }
  bool full() const { return ahead_.size() >= kMaxAhead; }

 private:
  void advance();

  std::uint64_t floor_;
  std::set<std::uint64_t> ahead_;  // in the set, above floor_ + 1
};

}  // namespace fastchat
