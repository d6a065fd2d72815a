#include "common/status.h"

namespace fastchat {

const char* code_name(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kBadRequest:
      return "bad request";
    case Code::kUnsupportedVersion:
      return "unsupported protocol version";
    case Code::kFrameTooLarge:
      return "frame too large";
    case Code::kNotAuthenticated:
      return "not logged in";
    case Code::kAuthFailed:
      return "authentication failed";
    case Code::kRateLimited:
      return "rate limited";
    case Code::kUsernameTaken:
      return "username taken";
    case Code::kInvalidUsername:
      return "invalid username";
    case Code::kUnknownUser:
      return "unknown user";
    case Code::kUnknownGroup:
      return "unknown group";
    case Code::kForbidden:
      return "forbidden";
    case Code::kMembershipChanged:
      return "group membership changed";
    case Code::kUnavailable:
      return "unavailable";
    case Code::kInternal:
      return "internal error";
    case Code::kNoServer:
      return "no server available";
    case Code::kTooLarge:
      return "too large";
    case Code::kLimitReached:
      return "limit reached";
    case Code::kLoginUpgradeRequired:
      return "login upgrade required";
    case Code::kNotFound:
      return "not found";
    case Code::kIo:
      return "i/o error";
    case Code::kCrypto:
      return "crypto error";
    case Code::kSessionExpired:
      return "session expired";
    case Code::kWeakPassword:
      return "the password is too weak";
    case Code::kIdentityChanged:
      return "identity key changed";
    case Code::kKeysLocked:
      return "keys locked";
    case Code::kMembershipUnverified:
      return "group membership not verified";
  }
  return "unknown error";
}

std::string Status::to_string() const {
  if (message_.empty()) return code_name(code_);
  return std::string(code_name(code_)) + ": " + message_;
}

}  // namespace fastchat
