#include "server/sent_seqs.h"

namespace fastchat::server {

void SentSeqs::reset(std::uint64_t acked, std::uint64_t login_head) {
  floor_ = acked;
  login_head_ = login_head;
  ahead_.clear();
}

void SentSeqs::mark(std::uint64_t seq) {
  if (seq <= floor_) return;
  if (seq == floor_ + 1) {
    floor_ = seq;
    advance();
    return;
  }
  if (ahead_.size() < kMaxAhead) ahead_.insert(seq);
}

void SentSeqs::mark_up_to(std::uint64_t seq) {
  if (seq <= floor_) return;
  floor_ = seq;
  advance();
}

void SentSeqs::advance() {
  auto it = ahead_.begin();
  while (it != ahead_.end() && *it <= floor_ + 1) {
    if (*it == floor_ + 1) ++floor_;
    it = ahead_.erase(it);
  }
}

}  // namespace fastchat::server
