// MessagePrinter: shows incoming messages in arrival order, resolving group names
// first (which may need a round trip). Client::on_message calls push(); one
// coroutine runs run() or drain(). Single executor, not thread-safe.
#pragma once

#include <asio/awaitable.hpp>
#include <functional>

#include "async_queue.h"
#include "client/client.h"
#include "group_directory.h"
#include "output.h"

namespace fastchat::cli {

class MessagePrinter {
 public:
  MessagePrinter(asio::any_io_executor executor, client::Client& client, const Output& out,
                 GroupDirectory& groups)
      : queue_(executor), client_(client), out_(out), groups_(groups) {}

  // Shows the message at once when nothing is waiting before it and its group name is
  // known: the client stores a message before it reports it, so a process killed
  // mid-backlog then leaves at most one stored message unshown, not the rest of a page.
  void push(client::ChatMessage message);
  // Prints everything queued so far.
  asio::awaitable<void> drain();
  // Prints messages as they arrive until stop(), then what is left.
  asio::awaitable<void> run();
  void stop() { queue_.close(); }

  // Prints one message now.
  asio::awaitable<void> print(const client::ChatMessage& message);

 private:
  void emit(const client::ChatMessage& message, const std::string& group_name);

  AsyncQueue<client::ChatMessage> queue_;
  client::Client& client_;
  const Output& out_;
  GroupDirectory& groups_;
  int printing_ = 0;  // run()/drain() between taking a message and showing it
};

}  // namespace fastchat::cli
