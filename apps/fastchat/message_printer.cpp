#include "message_printer.h"

#include "format.h"

namespace fastchat::cli {

void MessagePrinter::push(client::ChatMessage message) {
  if (printing_ == 0 && queue_.empty()) {
    if (message.group_id == 0) return emit(message, {});
    if (auto name = groups_.cached_name(message.group_id)) return emit(message, *name);
  }
  queue_.push(std::move(message));
}

void MessagePrinter::emit(const client::ChatMessage& message, const std::string& group_name) {
  out_.emit(message_text(message, group_name),
            message_json(message, client_.username(), group_name));
}

asio::awaitable<void> MessagePrinter::print(const client::ChatMessage& message) {
  std::string group_name;
  if (message.group_id != 0) group_name = co_await groups_.name(message.group_id);
  emit(message, group_name);
}

asio::awaitable<void> MessagePrinter::drain() {
  while (auto message = queue_.try_pop()) {
    ++printing_;
    co_await print(*message);
    --printing_;
  }
}

asio::awaitable<void> MessagePrinter::run() {
  while (auto message = co_await queue_.pop()) {
    ++printing_;
    co_await print(*message);
    --printing_;
  }
}

}  // namespace fastchat::cli
