#include "common/seq_set.h"

namespace fastchat {

bool SeqSet::insert(std::uint64_t seq) {
  if (seq <= floor_) return true;
  if (seq == floor_ + 1) {
    floor_ = seq;
    advance();
    return true;
  }
  if (full()) return false;
  ahead_.insert(seq);
  return true;
}

void SeqSet::insert_up_to(std::uint64_t seq) {
  if (seq <= floor_) return;
  floor_ = seq;
  advance();
}

void SeqSet::reset(std::uint64_t floor) {
  floor_ = floor;
  ahead_.clear();
}

void SeqSet::advance() {
  auto it = ahead_.begin();
  while (it != ahead_.end() && *it <= floor_ + 1) {
    if (*it == floor_ + 1) ++floor_;
    it = ahead_.erase(it);
  }
}

}  // namespace fastchat
