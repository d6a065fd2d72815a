#include "server/outbound_batch.h"

#include <asio/post.hpp>

#include "server/session.h"

namespace fastchat::server {

namespace {
thread_local OutboundBatch* open_batch = nullptr;
}

OutboundBatch::OutboundBatch() : outer_(open_batch) {
  open_batch = this;
}

OutboundBatch::~OutboundBatch() {
  open_batch = outer_;
  for (auto& loop : loops_) {
    auto executor = loop.executor;
    asio::post(executor, [loop = std::move(loop)]() mutable { run(loop); });
  }
}

OutboundBatch* OutboundBatch::current() {
  return open_batch;
}

OutboundBatch::Loop& OutboundBatch::loop_of(Session& session) {
  const auto executor = session.executor();
  for (auto& loop : loops_) {
    if (loop.executor == executor) return loop;
  }
  auto& loop = loops_.emplace_back();
  loop.executor = executor;
  loop.bytes.reserve(16 * 1024);  // fewer regrowths (and copies) in a large batch
  loop.entries.reserve(64);
  return loop;
}

void OutboundBatch::run(Loop& loop) {
  std::vector<Session*> to_flush;
  std::uint64_t deliveries = 0;
  for (const auto& entry : loop.entries) {
    const std::string_view bytes(loop.bytes.data() + entry.offset, entry.size);
    bool needs_flush = false;
    const bool taken =
        entry.session->take_queued(bytes, entry.shared.get(), (entry.flags & kEndsRequest) != 0,
                                   entry.seq, (entry.flags & kReplay) == kReplay, needs_flush);
    if (needs_flush) to_flush.push_back(entry.session.get());
    if (taken && (entry.flags & kDelivery) != 0) ++deliveries;
  }
  for (Session* session : to_flush)
    session->flush_queued();
  if (deliveries > 0) {
    loop.entries.front().session->loop().counters().deliveries_out.fetch_add(
        deliveries, std::memory_order_relaxed);
  }
}

}  // namespace fastchat::server
