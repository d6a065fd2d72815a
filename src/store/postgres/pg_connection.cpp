#include "store/postgres/pg_connection.h"

#include <endian.h>
#include <libpq-fe.h>
#include <poll.h>

#include <cassert>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace fastchat::store::postgres {
namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// libpq's messages end with a newline and may span lines; logs want one line.
std::string one_line(const char* message) {
  std::string text = message != nullptr ? message : "";
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  while (!text.empty() && text.back() == ' ')
    text.pop_back();
  return text.empty() ? "unknown error" : text;
}

// Failures that say nothing about the request, only that the server cannot serve it
// now: retrying later may work.
bool is_transient(std::string_view sqlstate) {
  return sqlstate.starts_with("08")      // connection exception
         || sqlstate.starts_with("53")   // insufficient resources (too many connections)
         || sqlstate.starts_with("57P")  // shutting down, crashed, starting up
         || sqlstate == "57014"          // query canceled (statement timeout)
         || sqlstate == "55P03"          // lock not available
         || sqlstate == "25006"          // read-only transaction (a standby)
         || is_retryable(sqlstate);
}

// After these the session is gone or going.
bool ends_session(std::string_view sqlstate) {
  return sqlstate.starts_with("08") || sqlstate.starts_with("57P");
}

void ignore_notice(void*, const char*) {}

// The name statement `index` is prepared under ("s12"). A buffer rather than "s" +
// std::to_string(): no allocation, and g++ 12 -O3 raises a false -Wrestrict on the latter.
struct StatementName {
  explicit StatementName(int index) { std::snprintf(text, sizeof text, "s%d", index); }
  char text[16];
};

}  // namespace

bool is_retryable(std::string_view sqlstate) {
  return sqlstate == "40001" || sqlstate == "40P01";
}

// --- PgParams

void PgParams::put32(std::uint32_t value) {
  value = htobe32(value);
  buffer_.append(reinterpret_cast<const char*>(&value), sizeof value);
}

void PgParams::put64(std::uint64_t value) {
  value = htobe64(value);
  buffer_.append(reinterpret_cast<const char*>(&value), sizeof value);
}

PgParams& PgParams::int64(std::int64_t value) {
  assert(array_count_ < 0);
  params_.push_back({buffer_.size(), 8});
  put64(static_cast<std::uint64_t>(value));
  return *this;
}

PgParams& PgParams::int32(std::int32_t value) {
  assert(array_count_ < 0);
  params_.push_back({buffer_.size(), 4});
  put32(static_cast<std::uint32_t>(value));
  return *this;
}

PgParams& PgParams::bytes(std::string_view value) {
  assert(array_count_ < 0);
  params_.push_back({buffer_.size(), static_cast<int>(value.size())});
  buffer_.append(value);
  return *this;
}

PgParams& PgParams::null() {
  assert(array_count_ < 0);
  params_.push_back({buffer_.size(), -1});
  return *this;
}

// PostgreSQL's binary array format (array_recv): ndim, has-null flag, element type,
// then per dimension its size and lower bound, then each element as a length (-1 for
// NULL) and its bytes.
PgParams& PgParams::begin_array(PgType element) {
  assert(array_count_ < 0);
  array_start_ = buffer_.size();
  array_count_ = 0;
  array_has_null_ = false;
  params_.push_back({array_start_, 0});
  put32(1);  // one dimension
  put32(0);  // has-null flag, set by end_array()
  put32(static_cast<std::uint32_t>(element));
  put32(0);  // size, set by end_array()
  put32(1);  // lower bound
  return *this;
}

PgParams& PgParams::element_int64(std::int64_t value) {
  assert(array_count_ >= 0);
  put32(8);
  put64(static_cast<std::uint64_t>(value));
  ++array_count_;
  return *this;
}

PgParams& PgParams::element_int32(std::int32_t value) {
  assert(array_count_ >= 0);
  put32(4);
  put32(static_cast<std::uint32_t>(value));
  ++array_count_;
  return *this;
}

PgParams& PgParams::element_bytes(std::string_view value) {
  assert(array_count_ >= 0);
  put32(static_cast<std::uint32_t>(value.size()));
  buffer_.append(value);
  ++array_count_;
  return *this;
}

PgParams& PgParams::element_null() {
  assert(array_count_ >= 0);
  put32(0xffffffffu);
  array_has_null_ = true;
  ++array_count_;
  return *this;
}

PgParams& PgParams::end_array() {
  assert(array_count_ >= 0);
  const auto patch = [this](std::size_t at, std::uint32_t value) {
    value = htobe32(value);
    std::memcpy(buffer_.data() + at, &value, sizeof value);
  };
  patch(array_start_ + 4, array_has_null_ ? 1 : 0);
  patch(array_start_ + 12, static_cast<std::uint32_t>(array_count_));
  params_.back().length = static_cast<int>(buffer_.size() - array_start_);
  array_count_ = -1;
  return *this;
}

PgParams& PgParams::int64_array(std::span<const std::int64_t> values) {
  begin_array(PgType::kInt8);
  for (std::int64_t value : values)
    element_int64(value);
  return end_array();
}

void PgParams::clear() {
  buffer_.clear();
  params_.clear();
  array_count_ = -1;
}

// --- PgResult

void PgResult::Clear::operator()(pg_result* result) const {
  PQclear(result);
}

int PgResult::rows() const {
  return result_ ? PQntuples(result_.get()) : 0;
}

bool PgResult::is_null(int row, int column) const {
  return PQgetisnull(result_.get(), row, column) != 0;
}

std::int64_t PgResult::int64(int row, int column) const {
  const char* value = PQgetvalue(result_.get(), row, column);
  switch (PQgetlength(result_.get(), row, column)) {
    case 8: {
      std::uint64_t raw;
      std::memcpy(&raw, value, sizeof raw);
      return static_cast<std::int64_t>(be64toh(raw));
    }
    case 4: {
      std::uint32_t raw;
      std::memcpy(&raw, value, sizeof raw);
      return static_cast<std::int32_t>(be32toh(raw));
    }
    case 2: {
      std::uint16_t raw;
      std::memcpy(&raw, value, sizeof raw);
      return static_cast<std::int16_t>(be16toh(raw));
    }
    default:
      return 0;  // NULL
  }
}

bool PgResult::boolean(int row, int column) const {
  return PQgetlength(result_.get(), row, column) == 1 &&
         PQgetvalue(result_.get(), row, column)[0] != 0;
}

std::string_view PgResult::bytes(int row, int column) const {
  return {PQgetvalue(result_.get(), row, column),
          static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
}

std::int64_t PgResult::affected_rows() const {
  if (!result_) return 0;
  return std::strtoll(PQcmdTuples(result_.get()), nullptr, 10);
}

// --- PgConnection

Result<std::unique_ptr<PgConnection>> PgConnection::connect(const PgConnectOptions& options) {
  // Our defaults come first: the URL (expanded from "dbname") overrides them. Keepalives
  // and tcp_user_timeout notice a server that vanished without closing the connection.
  const std::string connect_timeout = std::to_string(options.connect_timeout_s);
  const char* const keywords[] = {"connect_timeout",
                                  "fallback_application_name",
                                  "keepalives",
                                  "keepalives_idle",
                                  "keepalives_interval",
                                  "keepalives_count",
                                  "tcp_user_timeout",
                                  "dbname",
                                  nullptr};
  const char* const values[] = {connect_timeout.c_str(), "fastchat", "1", "10", "5", "3", "15000",
                                options.url.c_str(),     nullptr};
  pg_conn* raw = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (raw == nullptr)
    return Result<std::unique_ptr<PgConnection>>(Code::kInternal, "out of memory");
  std::unique_ptr<PgConnection> conn(new PgConnection(raw, options.io_timeout_ms));
  if (PQstatus(raw) != CONNECTION_OK) {
    return Result<std::unique_ptr<PgConnection>>(
        Code::kUnavailable, "cannot connect to PostgreSQL: " + one_line(PQerrorMessage(raw)));
  }
  PQsetNoticeProcessor(raw, &ignore_notice, nullptr);  // "relation exists, skipping", etc.
  // Non-blocking, so that writing a large pipeline never deadlocks against a server
  // that is itself blocked writing results we have not read yet (libpq's advice).
  if (PQsetnonblocking(raw, 1) != 0 || PQenterPipelineMode(raw) != 1) {
    return Result<std::unique_ptr<PgConnection>>(
        Code::kInternal, "cannot enter pipeline mode: " + one_line(PQerrorMessage(raw)));
  }
  // DESIGN §4: a commit returns only once it is on disk. It is the server's default, but
  // a server or role may have turned it off, so each session says it.
  conn->send_sql("SET synchronous_commit = on");
  for (std::size_t i = 0; i < options.statements.size(); ++i) {
    const StatementName name(static_cast<int>(i));
    if (PQsendPrepare(raw, name.text, options.statements[i], 0, nullptr) != 1) {
      conn->queue_failure_ = one_line(PQerrorMessage(raw));
      break;
    }
    ++conn->queued_;
  }
  if (Status s = conn->sync(); !s) {
    return Result<std::unique_ptr<PgConnection>>(s.code(),
                                                 "setting up a connection: " + s.message());
  }
  return conn;
}

PgConnection::~PgConnection() {
  PQfinish(conn_);
}

void PgConnection::bind(const PgParams& params) {
  values_.clear();
  lengths_.clear();
  formats_.assign(params.params_.size(), 1);  // all binary
  for (const PgParams::Param& param : params.params_) {
    values_.push_back(param.length < 0 ? nullptr : params.buffer_.data() + param.offset);
    lengths_.push_back(param.length < 0 ? 0 : param.length);
  }
}

void PgConnection::send(int index, const PgParams& params) {
  if (broken_ || !queue_failure_.empty()) return;
  const StatementName name(index);
  bind(params);
  if (PQsendQueryPrepared(conn_, name.text, static_cast<int>(values_.size()), values_.data(),
                          lengths_.data(), formats_.data(), /*resultFormat=*/1) != 1) {
    queue_failure_ = one_line(PQerrorMessage(conn_));
    return;
  }
  ++queued_;
}

void PgConnection::send_sql(const char* sql, const PgParams& params) {
  if (broken_ || !queue_failure_.empty()) return;
  bind(params);
  if (PQsendQueryParams(conn_, sql, static_cast<int>(values_.size()), nullptr, values_.data(),
                        lengths_.data(), formats_.data(), /*resultFormat=*/1) != 1) {
    queue_failure_ = one_line(PQerrorMessage(conn_));
    return;
  }
  ++queued_;
}

Status PgConnection::connection_error(std::string_view what) {
  broken_ = true;
  return {Code::kUnavailable, std::string(what) + ": " + one_line(PQerrorMessage(conn_))};
}

Status PgConnection::result_error(const pg_result* result) {
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  sqlstate_ = state != nullptr ? state : "";
  // The primary message only: the detail may quote row values (a duplicate key).
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  std::string message =
      "PostgreSQL: " +
      (primary != nullptr ? one_line(primary) : one_line(PQresultErrorMessage(result)));
  if (!sqlstate_.empty()) message += " (SQLSTATE " + sqlstate_ + ")";
  if (ends_session(sqlstate_)) broken_ = true;
  return {is_transient(sqlstate_) ? Code::kUnavailable : Code::kInternal, std::move(message)};
}

bool PgConnection::wait(std::int64_t deadline_ms, short events) {
  const int fd = PQsocket(conn_);
  if (fd < 0) return false;
  for (;;) {
    const std::int64_t left = deadline_ms - now_ms();
    if (left <= 0) return false;
    pollfd entry{fd, events, 0};
    const int ready = ::poll(&entry, 1, static_cast<int>(left));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return true;  // let libpq find and report the error
  }
}

Status PgConnection::out_of_step(const char* what, const pg_result* unexpected,
                                 const Status& first_failure) {
  // Seen when the server ends the session mid-pipeline (shutdown): its FATAL error
  // comes in place of a statement's results, then the connection closes.
  broken_ = true;
  if (PQstatus(conn_) != CONNECTION_OK) return connection_error("lost the PostgreSQL connection");
  if (unexpected != nullptr && PQresultStatus(unexpected) == PGRES_FATAL_ERROR) {
    return result_error(unexpected);
  }
  if (!first_failure.is_ok()) return first_failure;
  return {Code::kInternal, std::string("PostgreSQL pipeline out of step: ") + what};
}

Status PgConnection::flush(std::int64_t deadline_ms) {
  for (;;) {
    const int pending = PQflush(conn_);
    if (pending == 0) return {};
    if (pending < 0) return connection_error("cannot send to PostgreSQL");
    if (!wait(deadline_ms, POLLIN | POLLOUT)) {
      broken_ = true;
      return {Code::kUnavailable,
              "PostgreSQL did not take a request within " + std::to_string(io_timeout_ms_) + " ms"};
    }
    // Read what the server sent meanwhile, so that it never blocks writing to us.
    if (PQconsumeInput(conn_) != 1) return connection_error("lost the PostgreSQL connection");
  }
}

Status PgConnection::next_result(std::int64_t deadline_ms, pg_result*& result) {
  while (PQisBusy(conn_) != 0) {
    if (!wait(deadline_ms, POLLIN)) {
      broken_ = true;
      return {Code::kUnavailable,
              "PostgreSQL did not answer within " + std::to_string(io_timeout_ms_) + " ms"};
    }
    if (PQconsumeInput(conn_) != 1) return connection_error("lost the PostgreSQL connection");
  }
  result = PQgetResult(conn_);
  return {};
}

Status PgConnection::sync() {
  std::vector<PgResult> ignored;
  return sync(ignored);
}

Status PgConnection::sync(std::vector<PgResult>& results) {
  results.clear();
  sqlstate_.clear();
  const int expected = std::exchange(queued_, 0);
  if (broken_) return {Code::kUnavailable, "the PostgreSQL connection is broken"};
  if (!queue_failure_.empty()) {
    broken_ = true;  // what reached the pipeline is unknown
    return {Code::kUnavailable, "cannot send to PostgreSQL: " + std::exchange(queue_failure_, {})};
  }
  if (PQpipelineSync(conn_) != 1) return connection_error("cannot send to PostgreSQL");
  const std::int64_t deadline = now_ms() + io_timeout_ms_;
  if (Status s = flush(deadline); !s) return s;

  Status first_failure;
  results.reserve(static_cast<std::size_t>(expected));
  for (int i = 0; i < expected; ++i) {
    pg_result* raw = nullptr;
    if (Status s = next_result(deadline, raw); !s) return s;
    if (raw == nullptr) return out_of_step("a result is missing", nullptr, first_failure);
    PgResult result(raw);
    switch (PQresultStatus(raw)) {
      case PGRES_TUPLES_OK:
      case PGRES_COMMAND_OK:
      case PGRES_PIPELINE_ABORTED:  // skipped after an earlier failure
        break;
      case PGRES_FATAL_ERROR:
        if (PQstatus(conn_) != CONNECTION_OK) {
          return connection_error("lost the PostgreSQL connection");
        }
        if (first_failure.is_ok()) first_failure = result_error(raw);
        break;
      default:
        broken_ = true;
        return {Code::kInternal,
                std::string("unexpected PostgreSQL result ") + PQresStatus(PQresultStatus(raw))};
    }
    results.push_back(std::move(result));
    // Each statement's results end with a null.
    if (Status s = next_result(deadline, raw); !s) return s;
    if (raw != nullptr) {
      const PgResult extra(raw);
      return out_of_step("an extra result", raw, first_failure);
    }
  }
  pg_result* raw = nullptr;
  if (Status s = next_result(deadline, raw); !s) return s;
  const PgResult sync_result(raw);
  if (raw == nullptr || PQresultStatus(raw) != PGRES_PIPELINE_SYNC) {
    return out_of_step("no sync", raw, first_failure);
  }
  if (!first_failure.is_ok() && PQstatus(conn_) != CONNECTION_OK) broken_ = true;
  return first_failure;
}

Status PgConnection::exec_script(std::string_view sql) {
  sqlstate_.clear();
  if (broken_) return {Code::kUnavailable, "the PostgreSQL connection is broken"};
  if (queued_ != 0) return {Code::kInternal, "exec_script() with statements queued"};
  // The simple protocol (several statements in one text) is not allowed in a pipeline.
  if (PQexitPipelineMode(conn_) != 1) {
    broken_ = true;
    return {Code::kInternal, "cannot leave pipeline mode: " + one_line(PQerrorMessage(conn_))};
  }
  const std::int64_t deadline = now_ms() + io_timeout_ms_;
  const std::string text(sql);
  if (PQsendQuery(conn_, text.c_str()) != 1) return connection_error("cannot send to PostgreSQL");
  if (Status s = flush(deadline); !s) return s;
  Status first_failure;
  for (;;) {
    pg_result* raw = nullptr;
    if (Status s = next_result(deadline, raw); !s) return s;
    if (raw == nullptr) break;
    const PgResult result(raw);
    switch (PQresultStatus(raw)) {
      case PGRES_TUPLES_OK:
      case PGRES_COMMAND_OK:
      case PGRES_EMPTY_QUERY:
        break;
      case PGRES_FATAL_ERROR:
        if (PQstatus(conn_) != CONNECTION_OK) {
          return connection_error("lost the PostgreSQL connection");
        }
        if (first_failure.is_ok()) first_failure = result_error(raw);
        break;
      default:
        broken_ = true;  // COPY and the like: not ours
        return {Code::kInternal,
                std::string("unexpected PostgreSQL result ") + PQresStatus(PQresultStatus(raw))};
    }
  }
  if (PQenterPipelineMode(conn_) != 1) {
    broken_ = true;
    return {Code::kInternal, "cannot enter pipeline mode: " + one_line(PQerrorMessage(conn_))};
  }
  return first_failure;
}

bool PgConnection::in_transaction() const {
  const PGTransactionStatusType status = PQtransactionStatus(conn_);
  return status == PQTRANS_INTRANS || status == PQTRANS_INERROR;
}

void PgConnection::rollback() {
  if (broken_ || !in_transaction()) return;
  send_sql("ROLLBACK");
  const std::string failure = sqlstate_;
  if (!sync()) broken_ = true;
  sqlstate_ = failure;  // the caller still wants to know why it rolls back
}

bool PgConnection::usable_after_idle() {
  if (broken_ || PQstatus(conn_) != CONNECTION_OK) return false;
  if (PQtransactionStatus(conn_) != PQTRANS_IDLE) return false;
  // An idle connection has nothing to read: input means the server is closing it (it
  // sends a FATAL error, then EOF, when it shuts down or terminates the backend).
  pollfd entry{PQsocket(conn_), POLLIN, 0};
  return ::poll(&entry, 1, 0) == 0;
}

}  // namespace fastchat::store::postgres
