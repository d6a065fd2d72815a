// DeliveryHandOff: the pushes of one commit batch, handed by the committer thread to
// the event loops with one post per loop. The committer only collects what was
// committed: it encodes nothing and looks no session up. Each loop finds its own
// sessions of each recipient (LoopShard::sessions(), no lock) and encodes and queues
// their frames there, so the encoding of large bodies runs on the loops, in parallel.
//
// Every loop gets the whole batch: which loop holds a recipient's sessions is known
// only to that loop, and asking a shared index per delivery would put a lock back on
// the committer thread (docs/decisions.md, "Shared-nothing loops").
//
// Thread safety: a hand-off belongs to the thread that opened it (the committer's);
// while one is open there, add() collects into it; elsewhere add() posts at once.
// Open it after the OutboundBatch of the same batch: it posts first, so on each loop
// a message's pushes are queued before the sender's SendOk.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "store/store.h"

namespace fastchat::server {

class LoopShard;

class DeliveryHandOff {
 public:
  // One committed message and its recipients' inbox entries.
  struct Message {
    store::OutgoingMessage message;
    std::string sender;  // the sender's username, as pushes carry it
    std::vector<store::Delivery> deliveries;
  };
  using Loops = std::span<const std::unique_ptr<LoopShard>>;

  DeliveryHandOff();   // becomes this thread's open hand-off
  ~DeliveryHandOff();  // posts what was added to every loop
  DeliveryHandOff(const DeliveryHandOff&) = delete;
  DeliveryHandOff& operator=(const DeliveryHandOff&) = delete;

  // Hands `message` to every loop of `loops` (one server's loops; the same for every
  // add() of one hand-off).
  static void add(Loops loops, Message message);

  // On a loop's thread: queues the pushes of `messages` for the sessions of `loop`.
  // Returns how many were queued.
  static std::size_t deliver_on(LoopShard& loop, const std::vector<Message>& messages);

 private:
  void post();

  Loops loops_;
  std::vector<Message> messages_;
  DeliveryHandOff* outer_;
};

}  // namespace fastchat::server
