// ServerCheck: what the desktop's first screen makes of the key a server presents,
// before any password is sent to it. A CA-verified certificate, or a key equal to its
// pin in <home>/known_hosts, is trusted; a key never seen is shown for the user to
// trust on first use; a key that differs from its pin is a hard error. The client
// core checks the same pins again on every connection (tls/known_hosts.h), so this is
// where the user decides, not what enforces the decision.
//
// Thread safety: plain values and functions.
#pragma once

#include <QMetaType>
#include <QString>
#include <string>

#include "client/connection.h"

namespace fastchat::desktop {

struct ServerCheck {
  enum class Verdict {
    kTrusted,  // CA-verified, pinned and unchanged, or plaintext by request
    kUnknown,  // first use: the user compares the fingerprint and trusts it (or not)
    kChanged,  // differs from the pinned key: refused until the user accepts the new one
    kFailed,   // unreachable, not a valid address, or (with --ca-file) not CA-verified
  };
  Verdict verdict = Verdict::kFailed;
  QString server;       // as the user typed it
  QString address;      // HOST:PORT, as known_hosts names it
  QString fingerprint;  // what the server presents ("SHA256:...")
  QString pinned;       // kChanged: the key pinned before
  QString error;        // kFailed: why
};

// Judges `key`, which the server at `address` presented, against the pins in
// `known_hosts_file`. `ca_only` (a --ca-file was given): only a CA-verified certificate
// is trusted, and nothing is ever pinned.
ServerCheck judge_server_key(const client::ServerKey& key, const std::string& address,
                             const std::string& known_hosts_file, bool ca_only);

// The hard error for kChanged: what happened and exactly what to do.
QString changed_key_message(const ServerCheck& check, const QString& home_dir);

}  // namespace fastchat::desktop

Q_DECLARE_METATYPE(fastchat::desktop::ServerCheck)
