// Client::Impl, files to a group: the chunks of send_file, each sealed for the members
// as group text is (send_group_content). Receiving needs nothing of its own: a group
// chunk goes through the same FileAssembler as a direct one (client_inbox.cpp).
#include <spdlog/spdlog.h>

#include "client/client_impl.h"
#include "client/content.h"
#include "common/clock.h"

namespace fastchat::client {

asio::awaitable<Result<ChatMessage>> Client::Impl::send_group_file(GroupId group,
                                                                   std::string path) {
  if (username_.empty()) co_return Status(Code::kNotAuthenticated, "not logged in");
  if (group == 0) co_return Status(Code::kUnknownGroup, "group 0 does not exist");
  auto file = OutgoingFile::open(path);
  if (!file) co_return file.status();
  const std::uint32_t count = file->chunk_count();
  const std::int64_t started = SystemClock::instance().now_ms();

  // Read once for the whole file: a GetGroup per chunk would double the round trips.
  // The server refuses a chunk sealed for a stale list (kMembershipChanged), and only
  // then is the list read again.
  auto members = co_await group_recipients(group);
  if (!members) co_return members.status();
  bool to_changed_key = false;
  MessageId last_id;
  std::int64_t server_time = 0;
  for (std::uint32_t index = 0; index < count; ++index) {
    // One id per chunk for every attempt, as send_group_text keeps one per message.
    const std::int64_t now = SystemClock::instance().now_ms();
    const auto id = MessageId::time_ordered(static_cast<std::uint64_t>(now));
    auto content = make_content(id, username_, "", group, now);
    if (Status s = file->read_chunk(index, *content.mutable_file()); !s) co_return s;
    auto ok = co_await send_group_content(*members, content, to_changed_key);
    for (int changes = 1;
         !ok && ok.code() == Code::kMembershipChanged && changes < kMaxMembershipRetries;
         ++changes) {
      spdlog::debug("group {} changed while sending a file (part {}); sealing again", group,
                    index + 1);
      members = co_await group_recipients(group);
      if (!members) co_return members.status();
      ok = co_await send_group_content(*members, content, to_changed_key);
    }
    if (!ok) {
      co_return Status(ok.code(), "sending part " + std::to_string(index + 1) + " of " +
                                      std::to_string(count) + ": " + ok.status().message());
    }
    last_id = id;
    server_time = static_cast<std::int64_t>(ok->server_time_ms());
    report_sent_progress(*file, index, {}, group);
  }

  ChatMessage message;
  message.id = last_id;
  message.sender = username_;
  message.group_id = group;
  message.sent_at_ms = started;
  message.server_time_ms = server_time;
  message.outgoing = true;
  message.file_name = file->name();
  message.file_path = std::move(path);
  message.file_size = file->size();
  message.key_changed = to_changed_key;
  store_sent(message);
  co_return message;
}

}  // namespace fastchat::client
