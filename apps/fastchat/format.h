// How the terminal client shows things: one function per kind of record, in text
// (for people) and JSON (one object per line, for scripts). Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "client/client.h"

namespace fastchat::cli {

// "2026-11-23 10:00:01" in the local time zone.
std::string format_time(std::int64_t unix_ms);

// The time a message is shown with: the server's commit time, else the sender's clock.
std::int64_t message_time(const client::ChatMessage& message);

// Makes untrusted text safe to print on a terminal: control characters (except
// newline and tab) become caret notation (ESC -> "^["), C1 controls, bidirectional
// overrides and malformed UTF-8 become U+FFFD. Valid text passes unchanged.
std::string sanitize_for_terminal(std::string_view text);

// "#team", or "#12" when the name is unknown.
std::string group_label(GroupId id, std::string_view name);

// "[2026-11-23 10:00:01] alice: hello", "[...] #team alice: hi",
// "[...] alice -> bob: hello" for a direct message this user sent.
std::string message_text(const client::ChatMessage& message, std::string_view group_name);
// {"type":"message","id":"<hex>","from":"alice","to":"bob"|"group_id":N,...}.
// `self` is the logged-in user (the "to" of an incoming direct message).
std::string message_json(const client::ChatMessage& message, std::string_view self,
                         std::string_view group_name);

// Confirmation of a message the server committed.
std::string sent_text(const client::ChatMessage& message, std::string_view group_name);
std::string sent_json(const client::ChatMessage& message, std::string_view group_name);

std::string user_text(const client::UserInfo& user);
std::string user_json(const client::UserInfo& user);

// "#team (id 3): alice*, bob"; an asterisk marks admins.
std::string group_text(const client::GroupInfo& group);
std::string group_json(const client::GroupInfo& group);

std::string member_text(const client::GroupMemberInfo& member);
std::string member_json(GroupId group, const client::GroupMemberInfo& member);

// A verified membership change: "[12:00] group 7: alice added carol".
std::string membership_text(const client::MembershipEvent& event);
std::string membership_json(const client::MembershipEvent& event);

}  // namespace fastchat::cli
