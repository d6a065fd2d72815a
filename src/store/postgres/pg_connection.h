// PgConnection: one libpq connection (RAII) in pipeline mode, with the store's
// statements prepared once at connect; PgParams builds binary parameters (arrays too)
// and PgResult reads binary results. Statements are queued with send() and their
// results collected by sync(), so any number of statements costs one round trip.
// Every wait is bounded by a deadline: a server that stops answering costs an error,
// never a hang, and leaves the connection broken() for the pool to drop.
//
// Not thread-safe: one thread at a time uses a connection (the pool hands it out).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

struct pg_conn;
struct pg_result;

namespace fastchat::store::postgres {

// The PostgreSQL types that parameters and array elements are sent as (their OIDs).
enum class PgType : std::uint32_t {
  kBool = 16,
  kBytea = 17,
  kInt8 = 20,
  kInt4 = 23,
  kText = 25,
  kUuid = 2950,  // binary format: the 16 bytes
};

// Parameters of one statement, all in binary format. The SQL must give each
// parameter its type ($1::int8, $2::bytea[]) since none is sent along.
class PgParams {
 public:
  PgParams& int64(std::int64_t value);
  PgParams& int32(std::int32_t value);
  PgParams& bytes(std::string_view value);  // bytea, text (UTF-8), or uuid (16 bytes)
  PgParams& null();

  // A one-dimensional array: begin_array, one element_*() per element, end_array.
  PgParams& begin_array(PgType element);
  PgParams& element_int64(std::int64_t value);
  PgParams& element_int32(std::int32_t value);
  PgParams& element_bytes(std::string_view value);
  PgParams& element_null();
  PgParams& end_array();
  PgParams& int64_array(std::span<const std::int64_t> values);

  std::size_t size() const { return params_.size(); }
  void clear();

 private:
  friend class PgConnection;
  struct Param {
    std::size_t offset;
    int length;  // -1 for NULL
  };
  void put32(std::uint32_t value);
  void put64(std::uint64_t value);

  std::string buffer_;
  std::vector<Param> params_;
  std::size_t array_start_ = 0;    // offset of the open array's header
  std::int32_t array_count_ = -1;  // elements of the open array; -1 when none is open
  bool array_has_null_ = false;
};

// One statement's result (rows in binary format). Move-only.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(pg_result* result) : result_(result) {}

  int rows() const;
  bool is_null(int row, int column) const;
  // int8, int4 or int2.
  std::int64_t int64(int row, int column) const;
  bool boolean(int row, int column) const;
  // bytea or text; empty for NULL. Valid while the result lives.
  std::string_view bytes(int row, int column) const;
  std::string text(int row, int column) const { return std::string(bytes(row, column)); }
  // Rows inserted, updated or deleted.
  std::int64_t affected_rows() const;

 private:
  struct Clear {
    void operator()(pg_result* result) const;
  };
  std::unique_ptr<pg_result, Clear> result_;
};

struct PgConnectOptions {
  std::string url;                          // postgresql://... (or a libpq key=value string)
  int connect_timeout_s = 5;                // unless the URL sets connect_timeout
  int io_timeout_ms = 30'000;               // the longest one sync() or script may take
  std::span<const char* const> statements;  // prepared at connect, sent by index
};

class PgConnection {
 public:
  // Connects, sets synchronous_commit=on for the session and prepares the statements.
  // kUnavailable when the server cannot be reached or refuses.
  static Result<std::unique_ptr<PgConnection>> connect(const PgConnectOptions& options);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Queues the prepared statement `index` / an SQL text (one statement) with `params`.
  void send(int index, const PgParams& params = PgParams());
  void send_sql(const char* sql, const PgParams& params = PgParams());

  // Sends what was queued and waits for it: `results` gets one entry per statement, in
  // order. Without an explicit BEGIN, the statements since the last sync form one
  // implicit transaction that commits here, or rolls back entirely if one fails (the
  // rest are skipped). Returns the first failure: kUnavailable for connection trouble,
  // timeouts, deadlocks and overload (retrying later may work), kInternal otherwise;
  // sqlstate() tells which.
  Status sync(std::vector<PgResult>& results);
  Status sync();

  // Runs SQL text that may hold several statements (simple protocol), for migrations.
  Status exec_script(std::string_view sql);

  // The SQLSTATE of the last failure ("" when none, or when it was not the server's).
  const std::string& sqlstate() const { return sqlstate_; }
  // Unusable: lost, timed out, or in an unknown protocol state. The pool drops it.
  bool broken() const { return broken_; }
  // Inside an explicit transaction block (BEGIN without COMMIT / ROLLBACK yet).
  bool in_transaction() const;
  // Ends an explicit transaction that is still open, by rolling it back (best effort:
  // when even that fails the connection is broken() and the server rolls back anyway).
  void rollback();
  // For a connection that sat idle in the pool: false when it cannot be used, for
  // instance because the server closed it (restart, crash, idle timeout).
  bool usable_after_idle();

 private:
  PgConnection(pg_conn* conn, int io_timeout_ms) : conn_(conn), io_timeout_ms_(io_timeout_ms) {}

  // Points values_, lengths_ and formats_ at `params`.
  void bind(const PgParams& params);
  Status connection_error(std::string_view what);
  Status result_error(const pg_result* result);
  // The pipeline's results do not match what was sent: the connection is broken; the
  // status says why as well as it can be told.
  Status out_of_step(const char* what, const pg_result* unexpected, const Status& first_failure);
  // Waits until the socket is ready for `events` or the deadline; false on timeout.
  bool wait(std::int64_t deadline_ms, short events);
  Status flush(std::int64_t deadline_ms);
  // The next result, waiting as needed (nullptr marks the end of a statement's results).
  Status next_result(std::int64_t deadline_ms, pg_result*& result);

  pg_conn* conn_;
  int io_timeout_ms_;
  int queued_ = 0;  // statements sent since the last sync
  bool broken_ = false;
  std::string sqlstate_;
  std::string queue_failure_;  // why a send() failed, reported by the next sync()
  // Scratch for send(), kept to spare allocations.
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

// Whether a failure with this SQLSTATE is worth retrying the transaction for
// (deadlock, serialization failure).
bool is_retryable(std::string_view sqlstate);

}  // namespace fastchat::store::postgres
