// OutboundBatch: frames for sessions, produced on a thread other than their event
// loop's (the group committer's), handed over with one post per loop rather than one
// per frame. While a batch is open on a thread, queue() encodes into the batch (into
// one buffer per loop, no allocation per frame); closing the batch posts each loop
// one task that appends every frame to its session and flushes each session once.
// Without an open batch, queue() posts at once (a batch of one).
//
// Thread-safety: a batch belongs to the thread that opened it; batches nest (the
// inner one posts when it closes).
#pragma once

#include <asio/any_io_executor.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace fastchat::server {

class Session;

class OutboundBatch {
 public:
  enum Flags : std::uint8_t {
    kNone = 0,
    kDelivery = 1,            // a push: counted in deliveries_out
    kEndsRequest = 2,         // the response of a request: Session::end_request() after it
    kReplay = 4 | kDelivery,  // a push re-read from the inbox (Session::deliver)
  };

  OutboundBatch();   // becomes this thread's open batch
  ~OutboundBatch();  // posts what was queued
  OutboundBatch(const OutboundBatch&) = delete;
  OutboundBatch& operator=(const OutboundBatch&) = delete;

  // Queues for `session` the bytes `encode(std::string& out)` appends to `out`
  // (returning false when it appended nothing usable), followed by `*shared` if
  // given, into this thread's open batch, or a batch of its own. A push passes the
  // inbox seq it carries (the session drops what it has sent already).
  template <typename Encode>
  static void queue(const std::shared_ptr<Session>& session, Encode&& encode,
                    std::shared_ptr<const std::string> shared = nullptr, Flags flags = kNone,
                    std::uint64_t seq = 0) {
    if (OutboundBatch* open = current()) {
      open->add(session, encode, std::move(shared), flags, seq);
    } else {
      OutboundBatch own;
      own.add(session, encode, std::move(shared), flags, seq);
    }
  }

  static OutboundBatch* current();

 private:
  struct Entry {
    std::shared_ptr<Session> session;
    std::size_t offset = 0;  // this entry's bytes in the loop's buffer
    std::size_t size = 0;
    std::shared_ptr<const std::string> shared;  // appended after those bytes
    Flags flags = kNone;
    std::uint64_t seq = 0;  // the inbox seq of a push
  };
  struct Loop {
    asio::any_io_executor executor;
    std::string bytes;
    std::vector<Entry> entries;
  };

  template <typename Encode>
  void add(const std::shared_ptr<Session>& session, Encode& encode,
           std::shared_ptr<const std::string> shared, Flags flags, std::uint64_t seq) {
    Loop& loop = loop_of(*session);
    const std::size_t offset = loop.bytes.size();
    if (!encode(loop.bytes)) loop.bytes.resize(offset);
    loop.entries.push_back(
        {session, offset, loop.bytes.size() - offset, std::move(shared), flags, seq});
  }
  Loop& loop_of(Session& session);
  static void run(Loop& loop);

  std::vector<Loop> loops_;  // one per event loop, a handful at most
  OutboundBatch* outer_;
};

}  // namespace fastchat::server
