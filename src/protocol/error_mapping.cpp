#include "protocol/error_mapping.h"

namespace fastchat::protocol {

namespace {

struct Pair {
  Code code;
  wire::ErrorCode wire;
};

constexpr Pair kPairs[] = {
    {Code::kBadRequest, wire::BAD_REQUEST},
    {Code::kUnsupportedVersion, wire::UNSUPPORTED_VERSION},
    {Code::kFrameTooLarge, wire::FRAME_TOO_LARGE},
    {Code::kNotAuthenticated, wire::NOT_AUTHENTICATED},
    {Code::kAuthFailed, wire::AUTH_FAILED},
    {Code::kRateLimited, wire::RATE_LIMITED},
    {Code::kUsernameTaken, wire::USERNAME_TAKEN},
    {Code::kInvalidUsername, wire::INVALID_USERNAME},
    {Code::kUnknownUser, wire::UNKNOWN_USER},
    {Code::kUnknownGroup, wire::UNKNOWN_GROUP},
    {Code::kForbidden, wire::FORBIDDEN},
    {Code::kMembershipChanged, wire::MEMBERSHIP_CHANGED},
    {Code::kUnavailable, wire::UNAVAILABLE},
    {Code::kInternal, wire::INTERNAL},
    {Code::kNoServer, wire::NO_SERVER},
    {Code::kTooLarge, wire::TOO_LARGE},
    {Code::kLimitReached, wire::LIMIT_REACHED},
    {Code::kLoginUpgradeRequired, wire::LOGIN_UPGRADE_REQUIRED},
    {Code::kSessionExpired, wire::SESSION_EXPIRED},
};

}  // namespace

wire::ErrorCode to_wire(Code code) {
  for (const auto& p : kPairs) {
    if (p.code == code) return p.wire;
  }
  return wire::INTERNAL;  // local-only codes never go on the wire as themselves
}

Code from_wire(wire::ErrorCode code) {
  for (const auto& p : kPairs) {
    if (p.wire == code) return p.code;
  }
  return Code::kInternal;
}

Status status_from_wire(const wire::Error& error) {
  return Status(from_wire(error.code()), error.message());
}

void set_error(wire::Frame& frame, std::uint64_t request_id, const Status& status) {
  frame.set_request_id(request_id);
  auto* error = frame.mutable_error();
  error->set_code(to_wire(status.code()));
  error->set_message(status.message());
}

}  // namespace fastchat::protocol
