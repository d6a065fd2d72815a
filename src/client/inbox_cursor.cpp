#include "client/inbox_cursor.h"

namespace fastchat::client {

void InboxCursor::mark_done(std::uint64_t seq) {
  if (seq <= processed_) return;
  if (ahead_.size() >= kMaxAhead && seq != processed_ + 1) return;  // a sync will redo it
  ahead_.insert(seq);
  advance();
}

void InboxCursor::mark_range_done(std::uint64_t up_to) {
  if (up_to <= processed_) return;
  processed_ = up_to;
  advance();
}

void InboxCursor::advance() {
  auto it = ahead_.begin();
  while (it != ahead_.end() && *it <= processed_ + 1) {
    if (*it == processed_ + 1) ++processed_;
    it = ahead_.erase(it);
  }
}

}  // namespace fastchat::client
