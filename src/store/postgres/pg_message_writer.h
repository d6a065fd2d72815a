// The PostgreSQL store's write path of messages: the group commit and acks.
//
// commit_messages() runs one explicit transaction in two round trips, however large
// the batch: (1) lock the batch's groups (shared) and users (in id order), read their
// members, last_seq and the already-stored messages of the batch (what its CommitPlan
// asks for); then the plan decides every message's outcome and assigns gapless seqs,
// with no round trip; (2) insert all messages with one statement, all inbox rows with
// one statement, store the new last_seqs with one statement, and COMMIT
// (synchronous_commit=on: on disk when it returns). Holding the users' row locks makes
// the seqs read in (1) the truth until the commit, so several servers committing to one
// database assign seqs without gaps or duplicates.
//
// ack_inbox() is one implicit transaction in one round trip.
//
// Stateless functions over the connection they are given (one thread at a time).
#pragma once

#include <span>
#include <vector>

#include "common/status.h"
#include "store/postgres/pg_connection.h"
#include "store/store.h"

namespace fastchat::store::postgres {

// Store::commit_messages. On a failure the transaction is rolled back and sqlstate()
// of `db` tells why (a deadlock is worth retrying: is_retryable()).
Result<std::vector<CommitOutcome>> commit_messages(PgConnection& db,
                                                   std::span<const OutgoingMessage> messages);

// Store::ack_inbox. Acks for unknown users are ignored; an ack beyond the user's
// last_seq counts as one up to last_seq. Message rows that no inbox holds any more are
// deleted in the same transaction, which also ends de-duplication for them.
Status ack_inbox(PgConnection& db, std::span<const AckRecord> acks);

}  // namespace fastchat::store::postgres
