// SentSeqs: which of its user's inbox seqs a session has already sent to its client
// (pushed, or in a SyncPage), so that a push of the same seq is not sent twice and a
// replay or a catch-up (inbox_replay.h) sends only what is missing. Seqs are gapless per
// user but arrive out of order across servers (a push from another server can come
// after a later one committed here), so one "highest seq sent" would not do: this keeps
// a contiguous prefix and the few seqs sent above it, like the client's InboxCursor.
//
// Forgetting a seq is safe (it may be sent again; clients drop seqs they have seen);
// claiming one that was not sent would lose it. So beyond kMaxAhead out-of-order seqs
// nothing more is remembered.
//
// Thread safety: none (a value owned by one Session, used on its loop).
#pragma once

#include <cstdint>

#include "common/seq_set.h"

namespace fastchat::server {

class SentSeqs {
 public:
  static constexpr std::size_t kMaxAhead = SeqSet::kMaxAhead;

  // At login: everything up to `acked` is acknowledged, and the client's own Sync after
  // the login covers everything up to `login_head` (the user's last seq when the
  // session was looked up, before it could receive pushes).
  void reset(std::uint64_t acked, std::uint64_t login_head) {
    sent_.reset(acked);
    login_head_ = login_head;
  }
  // Whether `seq` was sent already (a live push of it is dropped).
  bool sent(std::uint64_t seq) const { return sent_.contains(seq); }
  // Whether a replay or catch-up can leave `seq` out: sent, or the login Sync's.
  bool covered(std::uint64_t seq) const { return seq <= login_head_ || sent(seq); }
  // Every seq up to here is covered: a catch-up up to it needs no inbox read.
  std::uint64_t covered_prefix() const {
    return sent_.floor() > login_head_ ? sent_.floor() : login_head_;
  }
  void mark(std::uint64_t seq) { sent_.insert(seq); }  // forgotten when full: see above
  // The client has everything up to `seq`: a SyncPage held everything after the Sync's
  // after_seq up to `seq`.
  void mark_up_to(std::uint64_t seq) { sent_.insert_up_to(seq); }

  std::uint64_t floor() const { return sent_.floor(); }
  std::size_t ahead() const { return sent_.ahead(); }

 private:
  SeqSet sent_;                   // sent or acknowledged
  std::uint64_t login_head_ = 0;  // covered by the client's login Sync
};

}  // namespace fastchat::server
