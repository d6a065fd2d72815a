#include "session_commands.h"

#include <charconv>
#include <cstdio>

#include "format.h"
#include "json.h"

namespace fastchat::cli {

namespace {

std::string session_text(const client::SessionInfo& s) {
  char id[16];
  std::snprintf(id, sizeof id, "%-10u", s.session_id);
  std::string state = s.current ? "this session" : (s.connected ? "connected" : "");
  std::string line = std::string(id) + "  " + format_time(s.last_used_ms) + "  " +
                     format_time(s.created_ms) + "  " + sanitize_for_terminal(s.device_name);
  if (!state.empty()) line += " (" + state + ")";
  return line;
}

std::string session_json(const client::SessionInfo& s) {
  return JsonObject()
      .add("type", "session")
      .add("id", s.session_id)
      .add("device_id", s.device_id)
      .add("device", s.device_name)
      .add("created_ms", s.created_ms)
      .add("last_used_ms", s.last_used_ms)
      .add("current", s.current)
      .add("connected", s.connected)
      .str();
}

}  // namespace

asio::awaitable<Status> list_sessions(client::Client& client, const Output& out) {
  auto sessions = co_await client.list_sessions();
  if (!sessions) co_return sessions.status();
  if (!out.json()) out.line("ID          LAST USED            CREATED              DEVICE");
  for (const auto& s : *sessions)
    out.emit(session_text(s), session_json(s));
  co_return Status::ok();
}

asio::awaitable<Status> revoke_sessions(client::Client& client, const Output& out, std::string id,
                                        bool all) {
  if (all == !id.empty()) {
    co_return Status(Code::kBadRequest, "name one session ID, or --all (and not both)");
  }
  if (all) {
    auto revoked = co_await client.revoke_other_sessions();
    if (!revoked) co_return revoked.status();
    out.emit("revoked " + std::to_string(*revoked) + " other session" + (*revoked == 1 ? "" : "s"),
             JsonObject()
                 .add("type", "ok")
                 .add("command", "sessions revoke")
                 .add("revoked", *revoked)
                 .str());
    co_return Status::ok();
  }
  std::uint32_t session_id = 0;
  const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), session_id);
  if (ec != std::errc() || end != id.data() + id.size() || session_id == 0) {
    co_return Status(Code::kBadRequest, "'" + sanitize_for_terminal(id) +
                                            "' is not a session ID (see fastchat sessions)");
  }
  auto revoked = co_await client.revoke_session(session_id);
  if (!revoked) co_return revoked.status();
  if (*revoked == 0)
    co_return Status(Code::kNotFound, "no session " + id + " (see fastchat sessions)");
  out.emit("revoked session " + id, JsonObject()
                                        .add("type", "ok")
                                        .add("command", "sessions revoke")
                                        .add("revoked", *revoked)
                                        .add("id", session_id)
                                        .str());
  co_return Status::ok();
}

}  // namespace fastchat::cli
