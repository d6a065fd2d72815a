// Status and Result<T>: how errors travel between modules (no exceptions cross a
// module boundary). Value types; no shared state.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace fastchat {

// Error codes shared by every layer. The wire protocol maps these one to one onto
// wire::ErrorCode (src/protocol/error_mapping.h).
enum class Code {
  kOk = 0,
  kBadRequest,
  kUnsupportedVersion,
  kFrameTooLarge,
  kNotAuthenticated,
  kAuthFailed,
  kRateLimited,
  kUsernameTaken,
  kInvalidUsername,
  kUnknownUser,
  kUnknownGroup,
  kForbidden,
  kMembershipChanged,
  kUnavailable,  // a dependency (store, bus, server) is down or unreachable
  kInternal,
  kNoServer,
  kTooLarge,              // a request, or the reply or push it would cause, cannot fit a frame
  kLimitReached,          // a configured cap (groups per user, members per group)
  kLoginUpgradeRequired,  // the account predates login keys: prove the password once more
  kNotFound,              // a local lookup found nothing (files, records)
  kIo,                    // local file or socket failure
  kCrypto,                // decryption or signature verification failed
  kSessionExpired,        // a session token idle too long, revoked or unknown: log in again
  kIdentityChanged,       // a verified contact's identity key changed: the user must look first
  kWeakPassword,          // a new password below the minimum strength (client/password_strength.h)
  kKeysLocked,  // the keystore's data key left the kernel keyring (reboot, idle): the password
                // unlocks
  kMembershipUnverified,  // a group's member list is not what its signed membership chain proves
};

const char* code_name(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }

  bool is_ok() const { return code_ == Code::kOk; }
  explicit operator bool() const { return is_ok(); }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "code_name: message", for logs and one-line CLI errors.
  std::string to_string() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// Either a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(data_).is_ok());
  }
  Result(Code code, std::string message) : data_(Status(code, std::move(message))) {}

  bool is_ok() const { return std::holds_alternative<T>(data_); }
  explicit operator bool() const { return is_ok(); }

  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

  Status status() const { return is_ok() ? Status() : std::get<Status>(data_); }
  Code code() const { return is_ok() ? Code::kOk : std::get<Status>(data_).code(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace fastchat
