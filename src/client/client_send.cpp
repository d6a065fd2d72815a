// Client::Impl, sending: seal the content, send it, and on a broken connection
// resend the same message id after reconnecting (the server stores an id once).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include "client/client_impl.h"
#include "client/content.h"
#include "common/clock.h"
#include "common/username.h"

namespace fastchat::client {

namespace {

Status check_text(std::string_view text, std::size_t max_bytes) {
  if (text.empty()) return Status(Code::kBadRequest, "the message is empty");
  if (text.size() > max_bytes) {
    return Status(Code::kBadRequest, "the message is longer than " +
                                         std::to_string(max_bytes / 1024) +
                                         " KiB; send it as a file");
  }
  return Status::ok();
}

}  // namespace

asio::awaitable<Result<const Contact*>> Client::Impl::contact(const std::string& username) {
  if (!contacts_) co_return Status(Code::kNotAuthenticated, "not logged in");
  if (const Contact* c = contacts_->find(username)) co_return c;
  if (Status s = co_await ensure_session(); !s) co_return s;
  auto conn = conn_;
  const std::vector<std::string> one{username};
  if (!contacts_) co_return Status(Code::kNotAuthenticated, "not logged in");
  if (Status s = co_await contacts_->ensure(*conn, one); !s) co_return s;
  if (!contacts_) co_return Status(Code::kNotAuthenticated, "logged out meanwhile");
  const Contact* c = contacts_->find(username);
  if (c == nullptr) co_return Status(Code::kUnknownUser, "no such user: " + username);
  co_return c;
}

asio::awaitable<Result<wire::SendOk>> Client::Impl::send_with_retry(const wire::Frame& frame) {
  auto reply = co_await request_with_retry(frame);
  if (!reply) co_return reply.status();
  if (!reply->has_send_ok()) co_return Status(Code::kBadRequest, "expected SendOk");
  co_return std::move(*reply->mutable_send_ok());
}

asio::awaitable<Result<wire::Frame>> Client::Impl::request_with_retry(const wire::Frame& frame) {
  std::chrono::milliseconds backoff(200);
  const auto give_up = std::chrono::steady_clock::now() + kSendRetryWindow;
  for (int attempt = 1;; ++attempt) {
    Status status = co_await ensure_session();
    if (status) {
      auto conn = conn_;
      auto reply = co_await conn->request(frame);
      if (reply) co_return reply;
      status = reply.status();
    }
    // Over the server's send limit, a pause lets its bucket refill (files send chunk
    // after chunk, and may outrun the byte rate).
    const bool transient =
        status.code() == Code::kUnavailable || status.code() == Code::kRateLimited;
    if (!transient || attempt >= kMaxSendAttempts ||
        std::chrono::steady_clock::now() + backoff >= give_up || username_.empty()) {
      co_return status;
    }
    spdlog::debug("request failed ({}); sending it again", status.to_string());
    asio::steady_timer timer(executor_);
    timer.expires_after(backoff);
    co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    backoff *= 2;
  }
}

asio::awaitable<Result<ChatMessage>> Client::Impl::send_text(std::string to_user,
                                                             std::string text) {
  if (username_.empty()) co_return Status(Code::kNotAuthenticated, "not logged in");
  auto to = normalize_username(to_user);
  if (!to) co_return Status(Code::kInvalidUsername, "not a valid username: " + to_user);
  if (Status s = check_text(text, kMaxTextBytes); !s) co_return s;

  const std::int64_t now = SystemClock::instance().now_ms();
  const auto id = MessageId::time_ordered(static_cast<std::uint64_t>(now));
  auto content = make_content(id, username_, *to, 0, now);
  content.set_text(text);
  bool to_changed_key = false;
  auto body = co_await seal_direct(*to, content, to_changed_key);
  if (!body) co_return body.status();
  wire::Frame frame;
  auto* send = frame.mutable_send();
  send->set_message_id(id.to_bytes());
  send->set_user(*to);
  send->set_body(std::move(*body));
  auto ok = co_await send_with_retry(frame);
  if (!ok) co_return ok.status();

  ChatMessage message;
  message.id = id;
  message.sender = username_;
  message.peer = *to;
  message.text = std::move(text);
  message.sent_at_ms = now;
  message.server_time_ms = static_cast<std::int64_t>(ok->server_time_ms());
  message.outgoing = true;
  message.key_changed = to_changed_key;
  if (history_) {
    if (auto added = history_->add_message(message); !added) {
      spdlog::warn("sent {}, but cannot store it locally: {}", id.to_hex(),
                   added.status().to_string());
    }
  }
  co_return message;
}

asio::awaitable<Result<Client::Impl::GroupRecipients>> Client::Impl::group_recipients(
    GroupId group) {
  if (group == 0) co_return Status(Code::kUnknownGroup, "group 0 does not exist");
  std::chrono::milliseconds backoff(200);
  for (int attempt = 1;; ++attempt) {
    // Keys are wrapped only for the members the group's signed chain proves.
    auto info = co_await verified_group(group);
    if (!info) {
      // The connection broke before the message went out: wait for the reconnect and
      // start over, as send_with_retry does for the Send itself.
      if (info.code() == Code::kUnavailable && attempt < kMaxSendAttempts && !username_.empty()) {
        asio::steady_timer timer(executor_);
        timer.expires_after(backoff);
        co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
        backoff *= 2;
        continue;
      }
      co_return info.status();
    }
    if (!info->chain.is_member(username_)) {
      co_return Status(Code::kForbidden, "you are not a member of this group");
    }
    GroupRecipients out;
    out.membership_seq = info->chain.seq();
    for (const auto& m : info->chain.members()) {
      if (m.username != username_) out.members.push_back(m.username);
    }
    co_return out;
  }
}

asio::awaitable<Result<wire::SendOk>> Client::Impl::send_group_content(const GroupRecipients& to,
                                                                       wire::Content& content,
                                                                       bool& to_changed_key) {
  if (!contacts_) co_return Status(Code::kNotAuthenticated, "not logged in");
  const GroupId group = content.group_id();
  if (to.membership_seq == 0) {
    co_return Status(Code::kMembershipUnverified, "the group has no signed membership yet");
  }
  content.set_membership_seq(to.membership_seq);
  const auto& members = to.members;
  // Keys already known need no connection: a drop between two chunks of a file is
  // then ridden out by send_with_retry, as for a direct file.
  const bool all_known = std::all_of(members.begin(), members.end(), [&](const std::string& name) {
    return contacts_->find(name) != nullptr;
  });
  if (!all_known) {
    if (Status s = co_await ensure_session(); !s) co_return s;
    auto conn = conn_;
    if (!conn || !contacts_) co_return Status(Code::kUnavailable, "not connected");
    if (Status s = co_await contacts_->ensure(*conn, members); !s) co_return s;
    if (!contacts_) co_return Status(Code::kNotAuthenticated, "logged out meanwhile");
  }
  for (const auto& name : members) {
    const Contact* c = contacts_->find(name);
    if (c == nullptr) co_return Status(Code::kUnknownUser, "no keys for " + name);
    // A verified member whose key changed stops the whole message.
    if (auto key = ContactBook::sending_key(*c, name); !key) co_return key.status();
    to_changed_key = to_changed_key || c->pending_key.has_value();
  }
  // Sender Keys (docs/e2ee-v2.md): every verified member gets this device's current key
  // over its 1:1 session, then one ciphertext for all.
  if (Status s = co_await distribute_sender_key(group, to, to_changed_key); !s) co_return s;
  auto body = seal_with_sender_key(group, content);
  if (!body) co_return body.status();
  wire::Frame frame;
  auto* send = frame.mutable_send();
  send->set_message_id(content.message_id());
  send->set_group_id(group);
  send->set_body(std::move(*body));
  send->set_membership_seq(to.membership_seq);
  co_return co_await send_with_retry(frame);
}

void Client::Impl::store_sent(const ChatMessage& message) {
  if (!history_) return;
  if (auto added = history_->add_message(message); !added) {
    spdlog::warn("sent {}, but cannot store it locally: {}", message.id.to_hex(),
                 added.status().to_string());
  }
}

asio::awaitable<Result<ChatMessage>> Client::Impl::send_group_text(GroupId group,
                                                                   std::string text) {
  if (username_.empty()) co_return Status(Code::kNotAuthenticated, "not logged in");
  if (group == 0) co_return Status(Code::kUnknownGroup, "group 0 does not exist");
  if (Status s = check_text(text, kMaxTextBytes); !s) co_return s;

  // One id for every attempt: if an attempt was committed after all, the retry is a
  // duplicate, not a second message.
  const std::int64_t now = SystemClock::instance().now_ms();
  const auto id = MessageId::time_ordered(static_cast<std::uint64_t>(now));
  auto content = make_content(id, username_, "", group, now);
  content.set_text(text);
  bool to_changed_key = false;
  for (int membership_changes = 0;;) {
    auto members = co_await group_recipients(group);
    if (!members) co_return members.status();
    auto ok = co_await send_group_content(*members, content, to_changed_key);
    if (!ok && ok.code() == Code::kMembershipChanged &&
        ++membership_changes < kMaxMembershipRetries) {
      spdlog::debug("group {} changed while sending {}; sealing again", group, id.to_hex());
      to_changed_key = false;
      continue;
    }
    if (!ok) co_return ok.status();

    ChatMessage message;
    message.id = id;
    message.sender = username_;
    message.group_id = group;
    message.text = std::move(text);
    message.sent_at_ms = now;
    message.server_time_ms = static_cast<std::int64_t>(ok->server_time_ms());
    message.outgoing = true;
    message.key_changed = to_changed_key;
    store_sent(message);
    co_return message;
  }
}

void Client::Impl::report_sent_progress(const OutgoingFile& file, std::uint32_t index,
                                        const std::string& peer, GroupId group) {
  if (!events_.on_file_progress) return;
  FileProgress progress;
  progress.transfer_id = transfer_id(file.file_id());
  progress.peer = peer;
  progress.group_id = group;
  progress.sender = username_;
  progress.file_name = file.name();
  progress.done_bytes = file.bytes_through(index);
  progress.total_bytes = file.size();
  progress.outgoing = true;
  events_.on_file_progress(progress);
}

asio::awaitable<Result<ChatMessage>> Client::Impl::send_file(std::string to_user,
                                                             std::string path) {
  if (username_.empty()) co_return Status(Code::kNotAuthenticated, "not logged in");
  auto to = normalize_username(to_user);
  if (!to) co_return Status(Code::kInvalidUsername, "not a valid username: " + to_user);
  auto file = OutgoingFile::open(path);
  if (!file) co_return file.status();
  const std::uint32_t count = file->chunk_count();
  const std::int64_t started = SystemClock::instance().now_ms();

  bool to_changed_key = false;
  MessageId last_id;
  std::int64_t server_time = 0;
  for (std::uint32_t index = 0; index < count; ++index) {
    const std::int64_t now = SystemClock::instance().now_ms();
    const auto id = MessageId::time_ordered(static_cast<std::uint64_t>(now));
    auto content = make_content(id, username_, *to, 0, now);
    if (Status s = file->read_chunk(index, *content.mutable_file()); !s) co_return s;
    bool changed = false;
    auto body = co_await seal_direct(*to, content, changed);
    if (!body) co_return body.status();
    to_changed_key = to_changed_key || changed;
    wire::Frame frame;
    auto* send = frame.mutable_send();
    send->set_message_id(id.to_bytes());
    send->set_user(*to);
    send->set_body(std::move(*body));
    auto ok = co_await send_with_retry(frame);
    if (!ok) {
      co_return Status(ok.code(), "sending part " + std::to_string(index + 1) + " of " +
                                      std::to_string(count) + ": " + ok.status().message());
    }
    last_id = id;
    server_time = static_cast<std::int64_t>(ok->server_time_ms());
    report_sent_progress(*file, index, *to, 0);
  }

  ChatMessage message;
  message.id = last_id;
  message.sender = username_;
  message.peer = *to;
  message.sent_at_ms = started;
  message.server_time_ms = server_time;
  message.outgoing = true;
  message.file_name = file->name();
  message.file_path = path;
  message.file_size = file->size();
  message.key_changed = to_changed_key;
  store_sent(message);
  co_return message;
}

}  // namespace fastchat::client
