// Client::Impl, sending: seal the content, send it, and on a broken connection
// resend the same message id after reconnecting (the server stores an id once).
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>

#include "client/client_impl.h"
#include "client/content.h"
#include "common/clock.h"
#include "common/username.h"

namespace fastchat::client {

namespace {

// Closes a file descriptor when leaving the scope.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

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
  std::chrono::milliseconds backoff(200);
  const auto give_up = std::chrono::steady_clock::now() + kSendRetryWindow;
  for (int attempt = 1;; ++attempt) {
    Status status = co_await ensure_session();
    if (status) {
      auto conn = conn_;
      auto reply = co_await conn->request(frame);
      if (reply) {
        if (!reply->has_send_ok()) co_return Status(Code::kBadRequest, "expected SendOk");
        co_return std::move(*reply->mutable_send_ok());
      }
      status = reply.status();
    }
    if (status.code() != Code::kUnavailable || attempt >= kMaxSendAttempts ||
        std::chrono::steady_clock::now() + backoff >= give_up || username_.empty()) {
      co_return status;
    }
    const auto id = MessageId::from_bytes(frame.send().message_id()).value_or(MessageId());
    spdlog::debug("send {} failed ({}); resending the same id", id.to_hex(), status.to_string());
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
  auto key = co_await sending_key(*to);
  if (!key) co_return key.status();
  const bool to_changed_key = changed_key(*to);

  const std::int64_t now = SystemClock::instance().now_ms();
  const auto id = MessageId::time_ordered(static_cast<std::uint64_t>(now));
  auto content = make_content(id, username_, *to, 0, now);
  content.set_text(text);
  wire::Frame frame;
  auto* send = frame.mutable_send();
  send->set_message_id(id.to_bytes());
  send->set_user(*to);
  send->set_body(seal_direct_content(**key, content));
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

bool Client::Impl::changed_key(const std::string& username) const {
  const Contact* contact = contacts_ ? contacts_->find(username) : nullptr;
  return contact != nullptr && contact->pending_key.has_value();
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
  int membership_changes = 0;
  int unreachable = 0;
  std::chrono::milliseconds backoff(200);
  for (;;) {
    // Keys are wrapped only for the members the group's signed chain proves.
    auto info = co_await verified_group(group);
    if (!info) {
      // The connection broke before the message went out: wait for the reconnect and
      // start over, as send_with_retry does for the Send itself.
      if (info.code() == Code::kUnavailable && ++unreachable < kMaxSendAttempts &&
          !username_.empty()) {
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
    content.set_membership_seq(info->chain.seq());
    std::vector<std::string> members;
    for (const auto& m : info->chain.members()) {
      if (m.username != username_) members.push_back(m.username);
    }
    auto conn = conn_;
    if (!conn || !contacts_) co_return Status(Code::kUnavailable, "not connected");
    if (Status s = co_await contacts_->ensure(*conn, members); !s) co_return s;
    if (!contacts_) co_return Status(Code::kNotAuthenticated, "logged out meanwhile");

    std::vector<const crypto::SharedKey*> keys;
    keys.reserve(members.size());
    bool to_changed_key = false;
    for (const auto& name : members) {
      const Contact* c = contacts_->find(name);
      if (c == nullptr) co_return Status(Code::kUnknownUser, "no keys for " + name);
      // A verified member whose key changed stops the whole message.
      auto key = ContactBook::sending_key(*c, name);
      if (!key) co_return key.status();
      keys.push_back(*key);
      to_changed_key = to_changed_key || c->pending_key.has_value();
    }
    auto sealed = seal_group_content(keys, content);
    wire::Frame frame;
    auto* send = frame.mutable_send();
    send->set_message_id(id.to_bytes());
    send->set_group_id(group);
    send->set_body(std::move(sealed.body));
    for (std::size_t i = 0; i < members.size(); ++i) {
      auto* wrap = send->add_key_wraps();
      wrap->set_username(members[i]);
      wrap->set_sealed_key(std::move(sealed.wraps[i]));
    }
    auto ok = co_await send_with_retry(frame);
    if (!ok && ok.code() == Code::kMembershipChanged &&
        ++membership_changes < kMaxMembershipRetries) {
      spdlog::debug("group {} changed while sending {}; sealing again", group, id.to_hex());
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
    if (history_) {
      if (auto added = history_->add_message(message); !added) {
        spdlog::warn("sent {}, but cannot store it locally: {}", id.to_hex(),
                     added.status().to_string());
      }
    }
    co_return message;
  }
}

asio::awaitable<Result<ChatMessage>> Client::Impl::send_file(std::string to_user,
                                                             std::string path) {
  if (username_.empty()) co_return Status(Code::kNotAuthenticated, "not logged in");
  auto to = normalize_username(to_user);
  if (!to) co_return Status(Code::kInvalidUsername, "not a valid username: " + to_user);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) co_return Status(Code::kIo, "cannot open " + path + ": " + std::strerror(errno));
  FdCloser closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    co_return Status(Code::kIo, path + " is not a regular file");
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > kMaxFileBytes) {
    co_return Status(Code::kBadRequest,
                     "the file is larger than " + std::to_string(kMaxFileBytes >> 20) + " MiB");
  }
  const std::string name = sanitize_file_name(path);
  const std::string mime = guess_mime_type(name);
  const auto count = static_cast<std::uint32_t>(
      std::max<std::uint64_t>(1, (size + kFileChunkBytes - 1) / kFileChunkBytes));
  const std::string file_id = MessageId::random().to_bytes();
  const std::int64_t started = SystemClock::instance().now_ms();

  std::string data;
  bool to_changed_key = false;
  MessageId last_id;
  std::int64_t server_time = 0;
  for (std::uint32_t index = 0; index < count; ++index) {
    const std::uint64_t offset = std::uint64_t{index} * kFileChunkBytes;
    const auto length = static_cast<std::size_t>(
        std::min<std::uint64_t>(kFileChunkBytes, size - std::min(size, offset)));
    data.resize(length);
    std::size_t got = 0;
    while (got < length) {
      const ssize_t n =
          ::pread(fd, data.data() + got, length - got, static_cast<off_t>(offset + got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) co_return Status(Code::kIo, "cannot read " + path);
      got += static_cast<std::size_t>(n);
    }
    auto key = co_await sending_key(*to);
    if (!key) co_return key.status();
    to_changed_key = to_changed_key || changed_key(*to);
    const std::int64_t now = SystemClock::instance().now_ms();
    const auto id = MessageId::time_ordered(static_cast<std::uint64_t>(now));
    auto content = make_content(id, username_, *to, 0, now);
    auto* chunk = content.mutable_file();
    chunk->set_file_id(file_id);
    chunk->set_name(name);
    chunk->set_mime_type(mime);
    chunk->set_total_size(size);
    chunk->set_index(index);
    chunk->set_count(count);
    chunk->set_data(data);
    wire::Frame frame;
    auto* send = frame.mutable_send();
    send->set_message_id(id.to_bytes());
    send->set_user(*to);
    send->set_body(seal_direct_content(**key, content));
    auto ok = co_await send_with_retry(frame);
    if (!ok) {
      co_return Status(ok.code(), "sending part " + std::to_string(index + 1) + " of " +
                                      std::to_string(count) + ": " + ok.status().message());
    }
    last_id = id;
    server_time = static_cast<std::int64_t>(ok->server_time_ms());
    if (events_.on_file_progress) {
      FileProgress progress;
      progress.transfer_id = transfer_id(file_id);
      progress.peer = *to;
      progress.file_name = name;
      progress.done_bytes = std::min(size, offset + length);
      progress.total_bytes = size;
      progress.outgoing = true;
      events_.on_file_progress(progress);
    }
  }

  ChatMessage message;
  message.id = last_id;
  message.sender = username_;
  message.peer = *to;
  message.sent_at_ms = started;
  message.server_time_ms = server_time;
  message.outgoing = true;
  message.file_name = name;
  message.file_path = path;
  message.file_size = size;
  message.key_changed = to_changed_key;
  if (history_) {
    if (auto added = history_->add_message(message); !added) {
      spdlog::warn("sent file {}, but cannot store it locally: {}", last_id.to_hex(),
                   added.status().to_string());
    }
  }
  co_return message;
}

}  // namespace fastchat::client
