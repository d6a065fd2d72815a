#include "format.h"

#include <ctime>

#include "json.h"
#include "utf8.h"

namespace fastchat::cli {
namespace {

bool is_unsafe_code_point(char32_t cp) {
  if (cp >= 0x80 && cp <= 0x9F) return true;      // C1 controls (0x9B is CSI)
  if (cp >= 0x202A && cp <= 0x202E) return true;  // bidi embeddings and overrides
  if (cp >= 0x2066 && cp <= 0x2069) return true;  // bidi isolates
  return false;
}

std::string file_description(const client::ChatMessage& m) {
  std::string out =
      "[file " + sanitize_for_terminal(m.file_name) + ", " + std::to_string(m.file_size) + " bytes";
  if (!m.file_path.empty()) out += ", saved to " + sanitize_for_terminal(m.file_path);
  out += "]";
  return out;
}

std::string file_json(const client::ChatMessage& m) {
  JsonObject file;
  file.add("name", m.file_name).add("size", m.file_size);
  if (!m.file_path.empty()) file.add("path", m.file_path);
  return file.str();
}

std::string members_json(const client::GroupInfo& group) {
  JsonArray members;
  for (const auto& member : group.members) {
    members.add_raw(JsonObject().add("username", member.username).add("admin", member.admin).str());
  }
  return members.str();
}

}  // namespace

std::string format_time(std::int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm local{};
  localtime_r(&seconds, &local);
  char buffer[32];
  const std::size_t n = std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S", &local);
  return std::string(buffer, n);
}

std::int64_t message_time(const client::ChatMessage& m) {
  return m.server_time_ms != 0 ? m.server_time_ms : m.sent_at_ms;
}

std::string sanitize_for_terminal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    char32_t cp;
    const std::size_t len = decode_utf8(text.substr(i), cp);
    if (len == 0) {
      out.append(kReplacementChar);
      ++i;
      continue;
    }
    if (cp == '\n' || cp == '\t') {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x20) {
      out.push_back('^');
      out.push_back(static_cast<char>(cp + 0x40));
    } else if (cp == 0x7F) {
      out.append("^?");
    } else if (is_unsafe_code_point(cp)) {
      out.append(kReplacementChar);
    } else {
      out.append(text.substr(i, len));
    }
    i += len;
  }
  return out;
}

std::string group_label(GroupId id, std::string_view name) {
  if (name.empty()) return "#" + std::to_string(id);
  return "#" + sanitize_for_terminal(name);
}

namespace {

// Marks a message sealed with (or opened with) a changed key the user has not accepted.
std::string changed_key_note(const client::ChatMessage& m) {
  if (m.group_id != 0 && m.outgoing) return " [a member's key changed and is not verified]";
  const std::string who = sanitize_for_terminal(m.group_id != 0 ? m.sender : m.peer);
  return " [" + who + "'s key changed and is not verified: fastchat verify " + who + "]";
}

}  // namespace

std::string message_text(const client::ChatMessage& m, std::string_view group_name) {
  std::string out = "[" + format_time(message_time(m)) + "] ";
  if (m.group_id != 0) out += group_label(m.group_id, group_name) + " ";
  out += sanitize_for_terminal(m.sender);
  if (m.group_id == 0 && m.outgoing) out += " -> " + sanitize_for_terminal(m.peer);
  out += ":";
  if (!m.text.empty()) out += " " + sanitize_for_terminal(m.text);
  if (!m.file_name.empty()) out += " " + file_description(m);
  if (m.key_changed) out += changed_key_note(m);
  return out;
}

std::string message_json(const client::ChatMessage& m, std::string_view self,
                         std::string_view group_name) {
  JsonObject json;
  json.add("type", "message").add("id", m.id.to_hex()).add("from", m.sender);
  if (m.group_id != 0) {
    json.add("group_id", m.group_id);
    if (!group_name.empty()) json.add("group", group_name);
  } else {
    json.add("to", m.outgoing ? std::string_view(m.peer) : self);
  }
  json.add("text", m.text).add("time", message_time(m)).add("outgoing", m.outgoing);
  if (m.seq != 0) json.add("seq", m.seq);
  if (!m.file_name.empty()) json.add_raw("file", file_json(m));
  if (m.key_changed) json.add("key_changed", true);
  return json.str();
}

std::string sent_text(const client::ChatMessage& m, std::string_view group_name) {
  const std::string to =
      m.group_id != 0 ? group_label(m.group_id, group_name) : sanitize_for_terminal(m.peer);
  if (!m.file_name.empty()) {
    return "sent file " + sanitize_for_terminal(m.file_name) + " (" + std::to_string(m.file_size) +
           " bytes) to " + to + " (id " + m.id.to_hex() + ")" +
           (m.key_changed ? changed_key_note(m) : std::string());
  }
  return "sent to " + to + " (id " + m.id.to_hex() + ")" +
         (m.key_changed ? changed_key_note(m) : std::string());
}

std::string sent_json(const client::ChatMessage& m, std::string_view group_name) {
  JsonObject json;
  json.add("type", "sent").add("id", m.id.to_hex());
  if (m.group_id != 0) {
    json.add("group_id", m.group_id);
    if (!group_name.empty()) json.add("group", group_name);
  } else {
    json.add("to", m.peer);
  }
  json.add("time", message_time(m));
  if (!m.file_name.empty()) json.add_raw("file", file_json(m));
  if (m.key_changed) json.add("key_changed", true);
  return json.str();
}

std::string user_text(const client::UserInfo& user) {
  return sanitize_for_terminal(user.username) + (user.online ? " (online)" : "");
}

std::string user_json(const client::UserInfo& user) {
  return JsonObject()
      .add("type", "user")
      .add("username", user.username)
      .add("online", user.online)
      .str();
}

std::string group_text(const client::GroupInfo& group) {
  std::string out = group_label(group.id, group.name) + " (id " + std::to_string(group.id) + ")";
  const char* separator = ": ";
  for (const auto& member : group.members) {
    out += separator + sanitize_for_terminal(member.username) + (member.admin ? "*" : "");
    separator = ", ";
  }
  return out;
}

std::string group_json(const client::GroupInfo& group) {
  return JsonObject()
      .add("type", "group")
      .add("id", group.id)
      .add("name", group.name)
      .add_raw("members", members_json(group))
      .str();
}

std::string member_text(const client::GroupMemberInfo& member) {
  return sanitize_for_terminal(member.username) + (member.admin ? " (admin)" : "");
}

std::string member_json(GroupId group, const client::GroupMemberInfo& member) {
  return JsonObject()
      .add("type", "member")
      .add("group_id", group)
      .add("username", member.username)
      .add("admin", member.admin)
      .str();
}

std::string membership_text(const client::MembershipEvent& event) {
  return "[" + format_time(event.at_ms) + "] group " + std::to_string(event.group_id) + ": " +
         sanitize_for_terminal(client::describe(event));
}

std::string membership_json(const client::MembershipEvent& event) {
  const char* kinds[] = {"created", "added", "removed", "left"};
  return JsonObject()
      .add("type", "membership")
      .add("group_id", event.group_id)
      .add("seq", event.seq)
      .add("event", kinds[static_cast<int>(event.kind)])
      .add("actor", event.actor)
      .add("subject", event.subject)
      .add("time_ms", event.at_ms)
      .str();
}

}  // namespace fastchat::cli
