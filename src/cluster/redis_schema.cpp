#include "cluster/redis_schema.h"

#include <hiredis/hiredis.h>
#include <openssl/evp.h>

#include <charconv>
#include <span>

#include "common/hex.h"

namespace fastchat::cluster::schema {

namespace {

// Shared by the presence scripts: liveness is the registry entry's existence, and
// a server leaving a user publishes who is left.
constexpr std::string_view kPrelude = R"lua(
local function live(s) return redis.call('EXISTS', 'fc:server:' .. s) == 1 end
local function leave(srv, uid, name)
  local pkey = 'fc:presence:' .. uid
  local removed = redis.call('SREM', pkey, srv)
  redis.call('SREM', 'fc:users:' .. srv, uid .. ':' .. name)
  if removed == 0 then return 0 end
  local online = false
  for _, s in ipairs(redis.call('SMEMBERS', pkey)) do
    if live(s) then online = true else redis.call('SREM', pkey, s) end
  end
  local transition = 0
  if not online then transition = 1 end
  redis.call('PUBLISH', 'fc:presence',
             'P 0 ' .. transition .. ' ' .. uid .. ' ' .. srv .. ' ' .. name)
  return transition
end
)lua";

constexpr std::string_view kOpen = R"lua(
local srv, uid, name = ARGV[1], ARGV[2], ARGV[3]
local pkey = 'fc:presence:' .. uid
local elsewhere = false
for _, s in ipairs(redis.call('SMEMBERS', pkey)) do
  if s ~= srv then
    if live(s) then elsewhere = true else redis.call('SREM', pkey, s) end
  end
end
local added = redis.call('SADD', pkey, srv)
redis.call('SADD', 'fc:users:' .. srv, uid .. ':' .. name)
if added == 0 then return 0 end
local transition = 0
if not elsewhere then transition = 1 end
redis.call('PUBLISH', 'fc:presence',
           'P 1 ' .. transition .. ' ' .. uid .. ' ' .. srv .. ' ' .. name)
return transition
)lua";

constexpr std::string_view kClose = R"lua(
return leave(ARGV[1], ARGV[2], ARGV[3])
)lua";

constexpr std::string_view kSweep = R"lua(
local srv, max, force = ARGV[1], tonumber(ARGV[2]), ARGV[3] == '1'
if not force and live(srv) then return -1 end
local ukey = 'fc:users:' .. srv
for _, m in ipairs(redis.call('SPOP', ukey, max)) do
  local uid, name = string.match(m, '^(%-?%d+):(.*)$')
  if uid then leave(srv, uid, name) end
end
local left = redis.call('SCARD', ukey)
if left == 0 and not force and redis.call('ZREM', 'fc:servers', srv) == 1 then
  return -2  -- this call retired the dead server (exactly one caller sees this)
end
return left
)lua";

constexpr std::string_view kHeartbeat = R"lua(
local key = 'fc:server:' .. ARGV[1]
local existed = redis.call('EXISTS', key)
local beat = redis.call('HINCRBY', key, 'beat', 1)
redis.call('HSET', key, 'host', ARGV[2], 'port', ARGV[3], 'connections', ARGV[4])
redis.call('PEXPIRE', key, ARGV[5])
redis.call('ZADD', 'fc:servers', ARGV[6], ARGV[1])
return {existed, beat}
)lua";

constexpr std::string_view kDeregister = R"lua(
redis.call('DEL', 'fc:server:' .. ARGV[1])
if redis.call('SCARD', 'fc:users:' .. ARGV[1]) == 0 then
  redis.call('ZREM', 'fc:servers', ARGV[1])
end
return 1
)lua";

constexpr std::string_view kList = R"lua(
local live, dead = {}, {}
for _, id in ipairs(redis.call('ZRANGE', 'fc:servers', 0, -1)) do
  local key = 'fc:server:' .. id
  local v = redis.call('HMGET', key, 'host', 'port', 'connections', 'beat')
  local ttl = redis.call('PTTL', key)
  if v[1] and ttl > 0 then
    live[#live + 1] = {id, v[1], v[2] or '0', v[3] or '0', v[4] or '0', ttl}
  else
    dead[#dead + 1] = id
  end
end
return {live, dead}
)lua";

constexpr std::string_view kOnline = R"lua(
local out = {}
for i, uid in ipairs(ARGV) do
  local on = 0
  for _, s in ipairs(redis.call('SMEMBERS', 'fc:presence:' .. uid)) do
    if live(s) then on = 1 break end
  end
  out[i] = on
end
return out
)lua";

constexpr std::string_view kCountInWindow = R"lua(
local function bump(key, window)
  local n = redis.call('INCR', key)
  if n == 1 or redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, window) end
  return n
end
local window = ARGV[#ARGV]
local counts = {}
for i = 1, #ARGV - 1 do counts[i] = bump(ARGV[i], window) end
return counts
)lua";

std::string sha1_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha1(), nullptr);
  return to_hex(std::span(digest, size));
}

// Scripts live as long as the process: built once, on first use.
struct ScriptSet {
  std::string sources[8];
  Script scripts[8];

  ScriptSet() {
    const std::pair<std::string_view, std::string> defs[] = {
        {"open", std::string(kPrelude) + std::string(kOpen)},
        {"close", std::string(kPrelude) + std::string(kClose)},
        {"sweep", std::string(kPrelude) + std::string(kSweep)},
        {"heartbeat", std::string(kHeartbeat)},
        {"deregister", std::string(kDeregister)},
        {"list", std::string(kList)},
        {"online", std::string(kPrelude) + std::string(kOnline)},
        {"count_in_window", std::string(kCountInWindow)},
    };
    for (std::size_t i = 0; i < std::size(defs); ++i) {
      sources[i] = defs[i].second;
      scripts[i] = Script{defs[i].first, sources[i], sha1_hex(sources[i])};
    }
  }
};

const ScriptSet& script_set() {
  static const ScriptSet set;
  return set;
}

void put_be64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

template <typename T>
bool parse_number(std::string_view text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

// Splits off the next space-separated field.
std::string_view next_field(std::string_view& rest) {
  const auto space = rest.find(' ');
  const std::string_view field = rest.substr(0, space);
  rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  return field;
}

}  // namespace

std::string server_key(std::string_view server_id) {
  return "fc:server:" + std::string(server_id);
}

std::string server_channel(std::string_view server_id) {
  return "fc:srv:" + std::string(server_id);
}

std::string presence_key(UserId user) {
  return "fc:presence:" + std::to_string(user);
}

std::string login_account_key(std::string_view username) {
  return "fc:login:acct:" + std::string(username);
}

std::string login_address_key(std::string_view address) {
  return "fc:login:addr:" + std::string(address);
}

std::string login_pair_key(std::string_view username, std::string_view address) {
  return "fc:login:pair:" + std::string(username) + ":" + std::string(address);
}

std::string register_address_key(std::string_view address) {
  return "fc:register:addr:" + std::string(address);
}

bool valid_server_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string encode_delivery(UserId recipient, std::uint64_t seq, std::string_view frame) {
  std::string out;
  out.reserve(16 + frame.size());
  put_be64(out, static_cast<std::uint64_t>(recipient));
  put_be64(out, seq);
  out.append(frame);
  return out;
}

std::optional<Delivery> decode_delivery(std::string_view payload) {
  if (payload.size() < 16) return std::nullopt;
  auto be64 = [](std::string_view bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
      v = (v << 8) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
    return v;
  };
  return Delivery{static_cast<UserId>(be64(payload)), be64(payload.substr(8)), payload.substr(16)};
}

std::string encode_resync(std::string_view server_id) {
  return "R " + std::string(server_id);
}

std::string encode_revocation(UserId user, std::uint32_t session_id, bool all_but) {
  return "K " + std::to_string(user) + (all_but ? " 1 " : " 0 ") + std::to_string(session_id);
}

ControlMessage decode_control(std::string_view payload) {
  ControlMessage out;
  std::string_view rest = payload;
  const std::string_view kind = next_field(rest);
  if (kind == "K") {
    const std::string_view uid = next_field(rest);
    const std::string_view all_but = next_field(rest);
    Revocation revocation;
    std::uint64_t session_id = 0;
    if (parse_number(uid, revocation.user) && (all_but == "0" || all_but == "1") &&
        parse_number(rest, session_id) && session_id <= UINT32_MAX) {
      revocation.all_but = all_but == "1";
      revocation.session_id = static_cast<std::uint32_t>(session_id);
      out.revocation = revocation;
    }
    return out;
  }
  if (kind == "R") {
    if (valid_server_id(rest)) out.resync = ResyncRequest{std::string(rest)};
    return out;
  }
  if (kind != "P") return out;
  const std::string_view online = next_field(rest);
  const std::string_view transition = next_field(rest);
  const std::string_view uid = next_field(rest);
  const std::string_view server = next_field(rest);
  PresenceEvent event;
  if ((online != "0" && online != "1") || (transition != "0" && transition != "1") ||
      !parse_number(uid, event.user) || !valid_server_id(server) || rest.empty()) {
    return out;
  }
  event.online = online == "1";
  event.transition = transition == "1";
  event.server_id = std::string(server);
  event.username = std::string(rest);
  out.presence = std::move(event);
  return out;
}

const Script& open_script() {
  return script_set().scripts[0];
}
const Script& close_script() {
  return script_set().scripts[1];
}
const Script& sweep_script() {
  return script_set().scripts[2];
}
const Script& heartbeat_script() {
  return script_set().scripts[3];
}
const Script& deregister_script() {
  return script_set().scripts[4];
}
const Script& list_script() {
  return script_set().scripts[5];
}
const Script& online_script() {
  return script_set().scripts[6];
}
const Script& count_in_window_script() {
  return script_set().scripts[7];
}

void load_scripts(RedisConnection& redis) {
  for (const auto& script : script_set().scripts)
    redis.command({"SCRIPT", "LOAD", script.source});
}

bool run_script(RedisConnection& redis, const Script& script, std::vector<std::string> args,
                RedisConnection::ReplyHandler handler) {
  auto shared = std::make_shared<const std::vector<std::string>>(std::move(args));
  std::vector<std::string_view> argv{"EVALSHA", script.sha1, "0"};
  argv.insert(argv.end(), shared->begin(), shared->end());
  auto on_reply = [&redis, &script, shared, handler = std::move(handler)](const redisReply* reply) {
    if (reply && reply->type == REDIS_REPLY_ERROR && reply_string(reply).starts_with("NOSCRIPT")) {
      std::vector<std::string_view> eval{"EVAL", script.source, "0"};
      eval.insert(eval.end(), shared->begin(), shared->end());
      if (!redis.command(eval, handler) && handler) handler(nullptr);
      return;
    }
    if (handler) handler(reply);
  };
  return redis.command(argv, std::move(on_reply));
}

}  // namespace fastchat::cluster::schema
