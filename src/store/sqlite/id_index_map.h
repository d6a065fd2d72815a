// IdIndexMap: a flat, open-addressing map from 64-bit ids to small indexes, for the
// per-batch lookups of the commit path. clear() keeps the capacity, so once warm a batch
// allocates nothing; the capacity follows the largest batch seen.
// Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace fastchat::store::sqlite {

class IdIndexMap {
 public:
  static constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();

  // The index stored for `id`, or kNone.
  std::uint32_t find(std::int64_t id) const {
    if (slots_.empty()) return kNone;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash(id) & mask;; i = (i + 1) & mask) {
      const Slot& slot = slots_[i];
      if (slot.value == kNone) return kNone;
      if (slot.key == id) return slot.value;
    }
  }

  // Stores `index` (not kNone) for `id`, which must not be present yet.
  void insert(std::int64_t id, std::uint32_t index) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    place(id, index);
    ++size_;
  }

  void clear() {
    if (size_ == 0) return;
    for (Slot& slot : slots_)
      slot.value = kNone;
    size_ = 0;
  }

  std::size_t size() const { return size_; }

 private:
  struct Slot {
    std::int64_t key = 0;
    std::uint32_t value = kNone;  // kNone marks an empty slot
  };

  static std::size_t hash(std::int64_t id) {
    // splitmix64's finalizer: ids are dense and small, the slots want them spread.
    auto x = static_cast<std::uint64_t>(id);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return static_cast<std::size_t>(x ^ (x >> 31));
  }

  void place(std::int64_t id, std::uint32_t index) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = hash(id) & mask;
    while (slots_[i].value != kNone)
      i = (i + 1) & mask;
    slots_[i] = Slot{id, index};
  }

  void grow() {
    std::vector<Slot> old(slots_.empty() ? 64 : slots_.size() * 2);
    old.swap(slots_);
    for (const Slot& slot : old) {
      if (slot.value != kNone) place(slot.key, slot.value);
    }
  }

  std::vector<Slot> slots_;  // a power of two in size, at most half full
  std::size_t size_ = 0;
};

}  // namespace fastchat::store::sqlite
