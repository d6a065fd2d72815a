// Logging set-up (spdlog). Rule for every log line in fastchat: never message
// content, keys, tokens or passwords; ids, names, sizes and codes only.
#pragma once

#include <string_view>

namespace fastchat {

// Configures the default spdlog logger: level from `level` ("trace".."off"),
// output to stderr, or to `file` as well when it is non-empty.
void setup_logging(std::string_view level, std::string_view file = {});

}  // namespace fastchat
