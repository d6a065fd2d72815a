#include "ledger.h"

namespace fastchat::bench {

DeliveryLedger::DeliveryLedger() : chunks_(new std::atomic<Chunk*>[kMaxChunks]) {
  for (std::size_t i = 0; i < kMaxChunks; ++i)
    chunks_[i].store(nullptr, std::memory_order_relaxed);
}

DeliveryLedger::~DeliveryLedger() {
  for (std::size_t i = 0; i < kMaxChunks; ++i)
    delete chunks_[i].load(std::memory_order_relaxed);
}

void DeliveryLedger::ensure_chunks(std::uint64_t first, std::uint64_t last) {
  for (std::uint64_t c = first >> kChunkBits; c <= (last >> kChunkBits); ++c) {
    if (chunks_[c].load(std::memory_order_acquire) != nullptr) continue;
    std::lock_guard lock(grow_);
    if (chunks_[c].load(std::memory_order_relaxed) == nullptr) {
      chunks_[c].store(new Chunk(), std::memory_order_release);
    }
  }
}

DeliveryLedger::Slot* DeliveryLedger::slot(std::uint64_t index) const {
  if (index >= next_.load(std::memory_order_acquire)) return nullptr;
  Chunk* chunk = chunks_[index >> kChunkBits].load(std::memory_order_acquire);
  if (chunk == nullptr) return nullptr;
  return &chunk->slots[index & ((std::uint64_t{1} << kChunkBits) - 1)];
}

std::uint64_t DeliveryLedger::reserve(std::uint32_t recipients) {
  if (recipients == 0) return kMaxSlots;
  // Allocate before publishing the slots (next_), so a reader never sees a slot
  // without its chunk.
  std::uint64_t first = next_.load(std::memory_order_relaxed);
  for (;;) {
    const std::uint64_t last = first + recipients - 1;
    if (last >= kMaxSlots) return kMaxSlots;
    ensure_chunks(first, last);
    if (next_.compare_exchange_weak(first, last + 1, std::memory_order_release,
                                    std::memory_order_relaxed)) {
      return first;
    }
  }
}

void DeliveryLedger::acknowledge(std::uint64_t first, std::uint32_t recipients) {
  for (std::uint32_t i = 0; i < recipients; ++i) {
    if (Slot* s = slot(first + i)) s->fetch_or(kAcked, std::memory_order_relaxed);
  }
  acked_.fetch_add(recipients, std::memory_order_relaxed);
}

DeliveryLedger::Delivery DeliveryLedger::deliver(std::uint64_t index) {
  Slot* s = slot(index);
  if (s == nullptr) return Delivery::kUnexpected;
  std::uint16_t old = s->load(std::memory_order_relaxed);
  for (;;) {
    if ((old & kCountMask) == kCountMask) return Delivery::kDuplicate;  // saturated
    if (s->compare_exchange_weak(old, static_cast<std::uint16_t>(old + 1),
                                 std::memory_order_relaxed)) {
      break;
    }
  }
  if ((old & kCountMask) != 0) return Delivery::kDuplicate;
  first_.fetch_add(1, std::memory_order_relaxed);
  return Delivery::kFirst;
}

LedgerTally DeliveryLedger::tally() const {
  LedgerTally t;
  const std::uint64_t n = next_.load(std::memory_order_acquire);
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint16_t v = slot(i)->load(std::memory_order_relaxed);
    const std::uint16_t count = v & kCountMask;
    const bool acked = (v & kAcked) != 0;
    if (acked) ++t.expected;
    if (count > 0) ++t.delivered;
    if (count > 1) t.duplicated += count - 1u;
    if (acked && count == 0) ++t.lost;
    if (!acked && count > 0) ++t.unacked_delivered;
  }
  return t;
}

}  // namespace fastchat::bench
