// End-to-end tests of `fastchat chat`, driven through tmux against a real
// `fastchat-server`: incoming messages must not garble the line being typed.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli_fixture.h"
#include "json_lite.h"
#include "process.h"
#include "support/test_files.h"
#include "tmux.h"

namespace fastchat::e2e {
namespace {

namespace fs = std::filesystem;

TEST_F(CliE2e, ChatShowsIncomingMessagesWithoutGarblingTheTypedLine) {
  if (!fs::exists("/usr/bin/tmux")) GTEST_SKIP() << "tmux is not installed";
  ASSERT_OK(register_user("alice"));
  ASSERT_OK(register_user("bob"));

  Tmux tmux(dir_ + "/tmux.sock", "chat");
  const int width = 100;
  // The pane's shell records the exit status (tmux does not always reap the child).
  const std::string status_file = dir_ + "/chat-exit-status";
  ASSERT_TRUE(tmux.start(client_binary() + " --server " + address_ + " --home " + home("bob") +
                             " chat; echo $? > " + status_file,
                         width, 30));
  ASSERT_TRUE(eventually([&] { return tmux.screen_has("Type /help") && tmux.last_line() == ">"; },
                         kWaitTimeout))
      << tmux.dump();

  tmux.keys("/to alice");
  tmux.key("Enter");
  ASSERT_TRUE(eventually([&] { return tmux.last_line() == "alice>"; }, kWaitTimeout))
      << tmux.dump();
  EXPECT_TRUE(tmux.screen_has("^talking to alice")) << tmux.dump();

  // A partly typed line, then a message arrives.
  tmux.keys("hello wor");
  ASSERT_TRUE(eventually([&] { return tmux.last_line() == "alice> hello wor"; }, kWaitTimeout))
      << tmux.dump();
  ASSERT_OK(cli("alice", {"send", "bob", "ping from alice"}));
  ASSERT_TRUE(eventually([&] { return tmux.screen_has("alice: ping from alice$"); }, kWaitTimeout))
      << tmux.dump();
  {
    const auto lines = tmux.screen();
    ASSERT_GE(lines.size(), 2u);
    EXPECT_EQ(lines.back(), "alice> hello wor") << tmux.dump();
    EXPECT_TRUE(matches(lines[lines.size() - 2], std::string(kTimeRe) + " alice: ping from alice"))
        << tmux.dump();
    int typed_copies = 0;
    for (const auto& line : lines)
      typed_copies += line.find("hello wor") != std::string::npos;
    EXPECT_EQ(typed_copies, 1) << tmux.dump();
    EXPECT_EQ(tmux.format("#{cursor_x}"), std::to_string(std::string("alice> hello wor").size()));
    EXPECT_EQ(tmux.format("#{cursor_y}"), std::to_string(lines.size() - 1));
  }

  // Finishing the line sends it; the typed line is replaced by the sent message.
  tmux.keys("ld");
  tmux.key("Enter");
  ASSERT_TRUE(
      eventually([&] { return tmux.screen_has("bob -> alice: hello world$"); }, kWaitTimeout))
      << tmux.dump();
  EXPECT_FALSE(tmux.screen_has("^alice> hello")) << tmux.dump();
  EXPECT_EQ(tmux.last_line(), "alice>") << tmux.dump();
  const RunResult alice_got = cli("alice", {"recv"});
  ASSERT_EQ(alice_got.exit_code, 0) << alice_got.err;
  EXPECT_TRUE(matches(alice_got.out, std::string(kTimeRe) + " bob: hello world\n"))
      << alice_got.out;

  // A partial line longer than the terminal is wide survives an incoming message too.
  const std::string long_text = std::string(130, 'x') + " tail";
  tmux.keys(long_text);
  ASSERT_TRUE(eventually([&] { return tmux.last_line().ends_with("x tail"); }, kWaitTimeout))
      << tmux.dump();
  ASSERT_OK(cli("alice", {"send", "bob", "second ping"}));
  ASSERT_TRUE(eventually([&] { return tmux.screen_has("alice: second ping$"); }, kWaitTimeout))
      << tmux.dump();
  {
    const auto lines = tmux.screen();
    ASSERT_GE(lines.size(), 3u);
    const std::string typed = "alice> " + long_text;
    EXPECT_EQ(lines[lines.size() - 2], typed.substr(0, width)) << tmux.dump();
    EXPECT_EQ(lines.back(), typed.substr(width)) << tmux.dump();
    EXPECT_TRUE(matches(lines[lines.size() - 3], std::string(kTimeRe) + " alice: second ping"))
        << tmux.dump();
  }
  tmux.key("C-u");  // discard the long line
  ASSERT_TRUE(eventually([&] { return tmux.last_line() == "alice>"; }, kWaitTimeout))
      << tmux.dump();

  // Slash commands work inside the chat.
  tmux.keys("/group create team alice");
  tmux.key("Enter");
  ASSERT_TRUE(eventually([&] { return tmux.screen_has("^created #team"); }, kWaitTimeout))
      << tmux.dump();
  tmux.keys("/to #team");
  tmux.key("Enter");
  ASSERT_TRUE(eventually([&] { return tmux.last_line() == "#team>"; }, kWaitTimeout))
      << tmux.dump();
  tmux.keys("hi team");
  tmux.key("Enter");
  ASSERT_TRUE(eventually([&] { return tmux.screen_has("#team bob: hi team$"); }, kWaitTimeout))
      << tmux.dump();

  tmux.keys("/quit");
  tmux.key("Enter");
  std::string status;
  ASSERT_TRUE(eventually(
      [&] {
        std::ifstream in(status_file);
        return static_cast<bool>(std::getline(in, status));
      },
      kWaitTimeout))
      << tmux.dump();
  EXPECT_EQ(status, "0") << tmux.dump();
}

TEST_F(CliE2e, ChatEndsCleanlyOnInterruptAndEndOfInput) {
  if (!fs::exists("/usr/bin/tmux")) GTEST_SKIP() << "tmux is not installed";
  ASSERT_OK(register_user("bob"));
  for (const std::string key : {"C-c", "C-d"}) {
    SCOPED_TRACE(key);
    Tmux tmux(dir_ + "/tmux-" + key + ".sock", "chat");
    const std::string status_file = dir_ + "/chat-exit-status-" + key;
    // `stty -g` before and after: the chat must give the terminal back as it found it.
    ASSERT_TRUE(tmux.start("stty -g > " + status_file + ".before; " + client_binary() +
                               " --server " + address_ + " --home " + home("bob") +
                               " chat; echo $? > " + status_file + ".tmp; stty -g > " +
                               status_file + ".after; mv " + status_file + ".tmp " + status_file,
                           80, 24));
    ASSERT_TRUE(eventually([&] { return tmux.last_line() == ">"; }, kWaitTimeout)) << tmux.dump();
    tmux.keys("typed but not sent");
    ASSERT_TRUE(
        eventually([&] { return tmux.last_line() == "> typed but not sent"; }, kWaitTimeout))
        << tmux.dump();
    if (key == "C-d") tmux.key("C-u");  // ^D ends input on an empty line only
    tmux.key(key);
    std::string status;
    ASSERT_TRUE(eventually(
        [&] {
          std::ifstream in(status_file);
          return static_cast<bool>(std::getline(in, status));
        },
        kWaitTimeout))
        << tmux.dump();
    EXPECT_EQ(status, "0");
    EXPECT_EQ(test_support::read_file(status_file + ".before"),
              test_support::read_file(status_file + ".after"));
  }
}

}  // namespace
}  // namespace fastchat::e2e
