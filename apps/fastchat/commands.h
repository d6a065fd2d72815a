// Runs one parsed command of `fastchat` to completion: establishes the session the
// command needs (register, login or resume the saved session), then does it.
// Single executor; the Client must belong to it.
#pragma once

#include <asio/awaitable.hpp>
#include <string>

#include "client/client.h"
#include "command_line.h"
#include "output.h"

namespace fastchat::cli {

// Whether `command` needs the account password (register, login).
bool needs_password(const Command& command);

// `password` is used by register, login and passwd (the current one); `new_password`
// by passwd only.
asio::awaitable<Status> run_command(client::Client& client, const Invocation& invocation,
                                    const Output& out, std::string password,
                                    std::string new_password = {});

// Resumes the saved session, or explains how to get one. Shared with `chat`.
asio::awaitable<Status> resume_session(client::Client& client, const std::string& home_dir);

}  // namespace fastchat::cli
