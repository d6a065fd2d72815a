#include "trust_notice.h"

#include <cstdio>

#include "crypto/safety_number.h"
#include "format.h"
#include "json.h"

namespace fastchat::cli {

std::string identity_changed_line(std::string_view user, std::string_view fingerprint, bool json) {
  if (json) {
    return JsonObject()
        .add("type", "warning")
        .add("code", "identity_changed")
        .add("user", user)
        .add("fingerprint", fingerprint)
        .str();
  }
  const std::string who = sanitize_for_terminal(user);
  return "fastchat: WARNING: the server now gives another identity key for " + who +
         " (fingerprint " + sanitize_for_terminal(fingerprint) +
         ") than the one you pinned. Someone may be intercepting. Compare safety numbers "
         "with " +
         who + " (`fastchat verify " + who + "`) before accepting it (`fastchat verify " + who +
         " --accept-new`)";
}

std::string undecryptable_line(const client::UndecryptableMessage& m, bool json) {
  if (json) {
    JsonObject object;
    object.add("type", "warning")
        .add("code", "undecryptable")
        .add("id", m.id.to_hex())
        .add("from", m.sender);
    if (m.group_id != 0) object.add("group_id", m.group_id);
    return object.add("reason", m.reason).str();
  }
  return "fastchat: WARNING: a message from " + sanitize_for_terminal(m.sender) + " (id " +
         m.id.to_hex() + ") could not be decrypted with the key you have for " +
         sanitize_for_terminal(m.sender) + " and was dropped; that key is unchanged";
}

void print_warning(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fputc('\n', stderr);
  std::fflush(stderr);
}

client::ClientEvents warning_events(bool json) {
  client::ClientEvents events;
  events.on_identity_changed = [json](std::string_view user, std::string_view fingerprint) {
    print_warning(identity_changed_line(user, fingerprint, json));
  };
  events.on_undecryptable = [json](const client::UndecryptableMessage& m) {
    print_warning(undecryptable_line(m, json));
  };
  return events;
}

std::string trust_text(const client::ContactTrust& t) {
  const std::string who = sanitize_for_terminal(t.username);
  std::string out = "safety number with " + who + ":\n  " +
                    crypto::format_safety_number(t.safety_number) + "\n" +
                    "your fingerprint:      " + t.own_fingerprint + "\n" + who +
                    "'s fingerprint: " + t.fingerprint + "\n" +
                    "state: " + (t.verified ? "verified" : "unverified");
  if (t.key_changed) {
    out += "\nWARNING: the server now gives another key for " + who + " (fingerprint " +
           t.new_fingerprint + "); with it the safety number would be:\n  " +
           crypto::format_safety_number(t.new_safety_number) + "\nCompare it with " + who +
           " before `fastchat verify " + who + " --accept-new` (add --confirm if it matches)";
  } else if (!t.verified) {
    out += "\nCompare the number with " + who +
           " (in person or on a call); if it matches, run `fastchat verify " + who + " --confirm`";
  }
  return out;
}

std::string trust_json(const client::ContactTrust& t) {
  JsonObject json;
  json.add("type", "verify")
      .add("user", t.username)
      .add("state", t.verified ? "verified" : "unverified")
      .add("safety_number", t.safety_number)
      .add("own_fingerprint", t.own_fingerprint)
      .add("fingerprint", t.fingerprint)
      .add("key_changed", t.key_changed);
  if (t.key_changed) {
    json.add("new_fingerprint", t.new_fingerprint).add("new_safety_number", t.new_safety_number);
  }
  return json.str();
}

}  // namespace fastchat::cli
