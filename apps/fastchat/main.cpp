// fastchat: the terminal client. Parses the command line, then runs the command as
// one coroutine on a single-threaded event loop. See docs/cli.md.
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "client/client.h"
#include "command_line.h"
#include "commands.h"
#include "common/logging.h"
#include "exit_codes.h"
#include "home_dir.h"
#include "output.h"
#include "password_prompt.h"

namespace {

using namespace fastchat;
using namespace fastchat::cli;

int fail(const Status& status, bool json) {
  print_error(status, json);
  return exit_code_for(status.code());
}

int run(const Invocation& invocation) {
  const GlobalOptions& options = invocation.options;
  const Command& command = invocation.command;
  setup_logging(options.log_level);

  auto endpoint = client::parse_endpoint(options.server);
  if (!endpoint) {
    return fail(Status(Code::kBadRequest, "--server: " + endpoint.status().message()),
                options.json);
  }
  if (auto status = ensure_home_dir(options.home); !status) return fail(status, options.json);

  std::string password;
  if (needs_password(command)) {
    auto read =
        read_password(command.args.at(0), options.password_stdin, command.name == "register");
    if (!read) return fail(read.status(), options.json);
    password = std::move(*read);
  }
  if (command.name == "unlock") {
    const std::string user = client::Client::saved_user(options.home);
    if (user.empty()) {
      return fail(Status(Code::kNotAuthenticated, "not logged in: run `fastchat login USER`"),
                  options.json);
    }
    auto read = read_password(user, options.password_stdin, false);
    if (!read) return fail(read.status(), options.json);
    password = std::move(*read);
  }
  std::string new_password;
  if (command.name == "passwd") {
    auto read = read_password_change(options.password_stdin);
    if (!read) return fail(read.status(), options.json);
    password = std::move(read->current);
    new_password = std::move(read->next);
  }

  asio::io_context io;
  client::ClientConfig config;
  config.server = *endpoint;
  config.home_dir = options.home;
  config.client_name = "fastchat-cli";
  config.ca_file = options.ca_file;
  config.insecure_plaintext = options.insecure_plaintext;
  client::Client client(io.get_executor(), config);
  const Output out(options.json, Output::stdout_sink());

  // A command that cannot finish in time (e.g. a server that accepts but never
  // answers) fails instead of hanging; `recv --wait` gets its wait on top. The
  // interactive chat has no such bound.
  asio::steady_timer watchdog(io);
  if (command.name != "chat") {
    const double seconds = options.timeout_seconds + command.wait_seconds;
    watchdog.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(seconds)));
    watchdog.async_wait([&](const asio::error_code& ec) {
      if (ec) return;
      std::fflush(stdout);
      const int code = fail(Status(Code::kUnavailable,
                                   "timed out after " + std::to_string(static_cast<int>(seconds)) +
                                       " s (see --timeout)"),
                            options.json);
      std::_Exit(code);  // the stuck operation cannot be unwound cleanly
    });
  }

  Status result(Code::kInternal, "the command did not finish");
  asio::co_spawn(io,
                 run_command(client, invocation, out, std::move(password), std::move(new_password)),
                 [&](std::exception_ptr error, Status status) {
                   if (error) {
                     try {
                       std::rethrow_exception(error);
                     } catch (const std::exception& e) {
                       status = Status(Code::kInternal, e.what());
                     }
                   }
                   result = std::move(status);
                   watchdog.cancel();
                   io.stop();
                 });
  io.run();

  // Let the client close its connection politely before the process ends.
  client.stop();
  io.restart();
  io.run_for(std::chrono::milliseconds(200));
  if (!result) return fail(result, options.json);
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  ParseResult parsed = parse_command_line(argc, argv);
  if (!parsed.invocation) return parsed.exit_code;
  return run(*parsed.invocation);
}
