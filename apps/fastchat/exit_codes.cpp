#include "exit_codes.h"

namespace fastchat::cli {

ExitCode exit_code_for(Code code) {
  switch (code) {
    case Code::kOk:
      return kExitOk;
    case Code::kBadRequest:
    case Code::kInvalidUsername:
    case Code::kWeakPassword:
      return kExitUsage;
    case Code::kNotAuthenticated:
    case Code::kAuthFailed:
    case Code::kRateLimited:
    case Code::kLoginUpgradeRequired:
    case Code::kSessionExpired:
      return kExitAuth;
    case Code::kUnknownUser:
    case Code::kUnknownGroup:
    case Code::kNotFound:
      return kExitNotFound;
    case Code::kUnavailable:
    case Code::kNoServer:
      return kExitUnavailable;
    case Code::kUsernameTaken:
    case Code::kForbidden:
    case Code::kMembershipChanged:
    case Code::kTooLarge:
    case Code::kLimitReached:
      return kExitRefused;
    case Code::kUnsupportedVersion:
    case Code::kFrameTooLarge:
    case Code::kInternal:
    case Code::kIo:
    case Code::kCrypto:
      return kExitError;
    case Code::kIdentityChanged:
      return kExitIdentityChanged;
    case Code::kKeysLocked:
      return kExitLocked;
    case Code::kMembershipUnverified:
      return kExitMembershipUnverified;
  }
  return kExitError;
}

const char* code_id(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kBadRequest:
      return "bad_request";
    case Code::kUnsupportedVersion:
      return "unsupported_version";
    case Code::kFrameTooLarge:
      return "frame_too_large";
    case Code::kNotAuthenticated:
      return "not_authenticated";
    case Code::kAuthFailed:
      return "auth_failed";
    case Code::kRateLimited:
      return "rate_limited";
    case Code::kUsernameTaken:
      return "username_taken";
    case Code::kInvalidUsername:
      return "invalid_username";
    case Code::kUnknownUser:
      return "unknown_user";
    case Code::kUnknownGroup:
      return "unknown_group";
    case Code::kForbidden:
      return "forbidden";
    case Code::kMembershipChanged:
      return "membership_changed";
    case Code::kUnavailable:
      return "unavailable";
    case Code::kInternal:
      return "internal";
    case Code::kNoServer:
      return "no_server";
    case Code::kTooLarge:
      return "too_large";
    case Code::kLimitReached:
      return "limit_reached";
    case Code::kLoginUpgradeRequired:
      return "login_upgrade_required";
    case Code::kNotFound:
      return "not_found";
    case Code::kIo:
      return "io";
    case Code::kCrypto:
      return "crypto";
    case Code::kSessionExpired:
      return "session_expired";
    case Code::kIdentityChanged:
      return "identity_changed";
    case Code::kWeakPassword:
      return "weak_password";
    case Code::kKeysLocked:
      return "keys_locked";
    case Code::kMembershipUnverified:
      return "membership_unverified";
  }
  return "unknown";
}

}  // namespace fastchat::cli
