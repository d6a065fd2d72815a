// Exit statuses of the `fastchat` command and how error codes map onto them
// (documented in docs/cli.md; scripts rely on them, so never renumber).
#pragma once

#include "common/status.h"

namespace fastchat::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,     // anything else: internal, i/o, crypto, protocol errors
  kExitUsage = 2,     // bad command line or arguments (also an invalid username, a weak password)
  kExitAuth = 3,      // not logged in, wrong password, session revoked, rate limited
  kExitNotFound = 4,  // unknown user or group, missing file
  kExitUnavailable = 5,  // server unreachable or timed out
  kExitRefused = 6,      // the server refused: username taken, not allowed, membership changed

  // A verified contact's identity key changed: nothing sent until `fastchat verify USER`.
  kExitIdentityChanged = 7,

  // The keystore is locked (its data key left the kernel keyring at a reboot or after
  // the idle timeout): `fastchat unlock` with the password; the session and history stay.
  kExitLocked = 8,
  // A group's member list is not what its signed membership proves (the server made it
  // up, dropped a change, replayed an old list or forked the chain): nothing sent.
  kExitMembershipUnverified = 9,
};

ExitCode exit_code_for(Code code);

// A short stable identifier for `code` ("unknown_user"), used in --json errors.
const char* code_id(Code code);

}  // namespace fastchat::cli
