// What the terminal client says about contacts' identity keys (docs/security.md,
// "Verified contacts"): the warning when the server serves a changed key, the report
// of a message that did not decrypt, and `fastchat verify`'s output. Warnings go to
// stderr (one line; a JSON object with --json) so they reach the user even when
// stdout is piped. Single thread.
#pragma once

#include <string>
#include <string_view>

#include "client/client.h"

namespace fastchat::cli {

// The line warning that the server serves another key for `user` than the pinned one.
std::string identity_changed_line(std::string_view user, std::string_view fingerprint, bool json);
// The line reporting a message dropped because it did not decrypt.
std::string undecryptable_line(const client::UndecryptableMessage& message, bool json);
// Writes a line and a newline to stderr.
void print_warning(const std::string& line);

// Events that print both warnings to stderr: for the one-shot commands.
client::ClientEvents warning_events(bool json);

// `fastchat verify USER`: the safety number in groups, both fingerprints, the state.
std::string trust_text(const client::ContactTrust& trust);
std::string trust_json(const client::ContactTrust& trust);

}  // namespace fastchat::cli
