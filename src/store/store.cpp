#include "store/store.h"

namespace fastchat::store {
namespace {

Status one_write(Store& store, const SessionWrite& write) {
  auto results = store.write_sessions(std::span(&write, 1));
  if (!results) return results.status();
  return (*results)[0];
}

}  // namespace

Status Store::create_session(const SessionRecord& session) {
  return one_write(*this, SessionWrite{SessionWrite::Kind::kCreate, session});
}

Status Store::delete_session(std::string_view token_hash) {
  SessionWrite write{SessionWrite::Kind::kRevoke, {}};
  write.session.token_hash = token_hash;
  return one_write(*this, write);
}

BatchResult Store::commit_batch(std::span<const OutgoingMessage> messages,
                                std::span<const AckRecord> acks) {
  BatchResult result{std::vector<CommitOutcome>(), Status()};
  if (!messages.empty()) result.outcomes = commit_messages(messages);
  if (!acks.empty()) result.acks = ack_inbox(acks);
  return result;
}

}  // namespace fastchat::store
