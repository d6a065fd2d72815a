#include "message_printer.h"

#include "format.h"

namespace fastchat::cli {

asio::awaitable<void> MessagePrinter::print(const client::ChatMessage& message) {
  std::string group_name;
  if (message.group_id != 0) group_name = co_await groups_.name(message.group_id);
  out_.emit(message_text(message, group_name),
            message_json(message, client_.username(), group_name));
}

asio::awaitable<void> MessagePrinter::drain() {
  while (auto message = queue_.try_pop())
    co_await print(*message);
}

asio::awaitable<void> MessagePrinter::run() {
  while (auto message = co_await queue_.pop())
    co_await print(*message);
}

}  // namespace fastchat::cli
