#include "receive.h"

#include <asio/experimental/awaitable_operators.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <chrono>
#include <csignal>

#include "format.h"
#include "json.h"
#include "message_printer.h"
#include "scoped_events.h"
#include "trust_notice.h"

namespace fastchat::cli {

using namespace asio::experimental::awaitable_operators;

asio::awaitable<Status> receive(client::Client& client, const Output& out, GroupDirectory& groups,
                                double wait_seconds) {
  auto executor = co_await asio::this_coro::executor;
  MessagePrinter printer(executor, client, out, groups);
  client::ClientEvents events;
  events.on_message = [&printer](const client::ChatMessage& m) { printer.push(m); };
  events.on_identity_changed = [&out](std::string_view user, std::string_view fingerprint) {
    print_warning(identity_changed_line(user, fingerprint, out.json()));
    if (out.json()) {
      out.line(JsonObject()
                   .add("type", "identity_changed")
                   .add("user", user)
                   .add("fingerprint", fingerprint)
                   .str());
    }
  };
  events.on_undecryptable = [&out](const client::UndecryptableMessage& m) {
    print_warning(undecryptable_line(m, out.json()));
  };
  events.on_membership = [&out](const client::MembershipEvent& e) {
    out.emit(membership_text(e), membership_json(e));
  };
  const ScopedEvents scoped_events(client, std::move(events));

  auto synced = co_await client.sync();
  co_await printer.drain();
  if (!synced) co_return synced.status();
  if (wait_seconds <= 0) co_return Status::ok();

  // Wait the full duration, or until a signal: both are a normal end.
  asio::steady_timer deadline(executor);
  deadline.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(wait_seconds)));
  asio::signal_set signals(executor, SIGINT, SIGTERM, SIGHUP);
  auto finish = [&] {
    client.stop();
    deadline.cancel();
    signals.cancel();
  };
  deadline.async_wait([&](const asio::error_code& ec) {
    if (!ec) finish();
  });
  signals.async_wait([&](const asio::error_code& ec, int) {
    if (!ec) finish();
  });
  auto run_client = [&]() -> asio::awaitable<void> {
    co_await client.run();
    printer.stop();
  };
  co_await (run_client() && printer.run());
  co_await printer.drain();
  co_return Status::ok();
}

}  // namespace fastchat::cli
