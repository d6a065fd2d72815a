// DeliveryLedger: loss and duplicate accounting of one measurement step. Every
// message reserves one slot per intended recipient before it is sent; the slot
// number travels inside the encrypted content, so a receiver marks exactly its own
// slot. At the end, a slot of an acknowledged message that was never delivered is a
// loss, and every delivery of a slot beyond the first is a duplicate.
//
// Thread safety: reserve(), acknowledge() and deliver() may be called from any
// thread concurrently (lock-free but for allocating a chunk); tally() once the
// traffic has stopped.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

namespace fastchat::bench {

struct LedgerTally {
  std::uint64_t expected = 0;           // slots of acknowledged messages
  std::uint64_t delivered = 0;          // slots delivered at least once
  std::uint64_t lost = 0;               // acknowledged but never delivered
  std::uint64_t duplicated = 0;         // deliveries beyond the first
  std::uint64_t unacked_delivered = 0;  // delivered though the sender saw no ack
};

class DeliveryLedger {
 public:
  static constexpr int kChunkBits = 16;
  static constexpr std::size_t kMaxChunks = 1 << 14;  // 2^30 slots per step
  static constexpr std::uint64_t kMaxSlots = std::uint64_t{kMaxChunks} << kChunkBits;

  enum class Delivery { kFirst, kDuplicate, kUnexpected };

  DeliveryLedger();
  ~DeliveryLedger();
  DeliveryLedger(const DeliveryLedger&) = delete;
  DeliveryLedger& operator=(const DeliveryLedger&) = delete;

  // Reserves `recipients` consecutive slots for one message; returns the first, or
  // kMaxSlots when the ledger is full (send nothing then).
  std::uint64_t reserve(std::uint32_t recipients);
  // The message with these slots was acknowledged (durably committed) by the server.
  void acknowledge(std::uint64_t first, std::uint32_t recipients);
  // A recipient received the delivery of `slot`.
  Delivery deliver(std::uint64_t slot);

  // Deliveries seen first and slots acknowledged so far (for "has it drained?").
  std::uint64_t first_deliveries() const { return first_.load(std::memory_order_relaxed); }
  std::uint64_t acknowledged_slots() const { return acked_.load(std::memory_order_relaxed); }
  std::uint64_t reserved_slots() const { return next_.load(std::memory_order_relaxed); }

  LedgerTally tally() const;

 private:
  // Per slot: bit 15 = acknowledged, bits 0-14 = deliveries (saturating).
  using Slot = std::atomic<std::uint16_t>;
  static constexpr std::uint16_t kAcked = 0x8000;
  static constexpr std::uint16_t kCountMask = 0x7fff;
  struct Chunk {
    std::array<Slot, std::size_t{1} << kChunkBits> slots{};
  };

  Slot* slot(std::uint64_t index) const;
  void ensure_chunks(std::uint64_t first, std::uint64_t last);

  std::atomic<std::uint64_t> next_{0};
  std::atomic<std::uint64_t> first_{0};
  std::atomic<std::uint64_t> acked_{0};
  std::mutex grow_;
  std::unique_ptr<std::atomic<Chunk*>[]> chunks_;
};

}  // namespace fastchat::bench
