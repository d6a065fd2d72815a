// Unit tests of the terminal client's pure pieces: JSON escaping, message
// formatting, terminal sanitizing, exit codes, chat input and command-line parsing.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <set>

#include "chat_input.h"
#include "command_line.h"
#include "exit_codes.h"
#include "format.h"
#include "json.h"
#include "json_lite.h"
#include "output.h"

namespace fastchat::cli {
namespace {

using e2e::parse_json_object;

TEST(Json, EscapesPerRfc8259) {
  EXPECT_EQ(json_string(""), R"("")");
  EXPECT_EQ(json_string("plain"), R"("plain")");
  EXPECT_EQ(json_string("a\"b\\c/d"), R"("a\"b\\c/d")");
  EXPECT_EQ(json_string("\b\f\n\r\t"), R"("\b\f\n\r\t")");
  EXPECT_EQ(json_string(std::string("\x00\x01\x1f\x7f", 4)), R"("\u0000\u0001\u001f\u007f")");
  EXPECT_EQ(json_string("caf\xC3\xA9 \xF0\x9F\x98\x80"), "\"caf\xC3\xA9 \xF0\x9F\x98\x80\"");
}

TEST(Json, ReplacesMalformedUtf8) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(json_string("\xFF"), "\"" + fffd + "\"");
  EXPECT_EQ(json_string("a\xC3"), "\"a" + fffd + "\"");                      // truncated
  EXPECT_EQ(json_string("\xC0\xAF"), "\"" + fffd + fffd + "\"");             // overlong '/'
  EXPECT_EQ(json_string("\xED\xA0\x80"), "\"" + fffd + fffd + fffd + "\"");  // surrogate
  EXPECT_EQ(json_string("\xF4\x90\x80\x80"), "\"" + fffd + fffd + fffd + fffd + "\"");
}

TEST(Json, EveryByteStringRoundTripsThroughAStrictParser) {
  std::string all;
  for (int c = 1; c < 0x80; ++c)
    all.push_back(static_cast<char>(c));
  const auto parsed = parse_json_object(JsonObject().add("s", all).str());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->at("s").value, all);
}

TEST(Json, ObjectBuilder) {
  const std::string json = JsonObject()
                               .add("type", "message")
                               .add("n", std::uint64_t{18446744073709551615u})
                               .add("neg", -5)
                               .add("yes", true)
                               .add_raw("list", JsonArray().add_raw("1").add_raw("{}").str())
                               .str();
  EXPECT_EQ(json,
            R"({"type":"message","n":18446744073709551615,"neg":-5,"yes":true,"list":[1,{}]})");
  EXPECT_TRUE(parse_json_object(json));
  EXPECT_EQ(JsonObject().str(), "{}");
}

class FormatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = std::getenv("TZ");
    saved_tz_ = tz != nullptr ? std::optional<std::string>(tz) : std::nullopt;
    ::setenv("TZ", "UTC", 1);
    ::tzset();
  }
  void TearDown() override {
    if (saved_tz_) {
      ::setenv("TZ", saved_tz_->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }
  static client::ChatMessage message() {
    client::ChatMessage m;
    m.id = *MessageId::from_hex("000102030405060708090a0b0c0d0e0f");
    m.seq = 7;
    m.sender = "alice";
    m.peer = "alice";
    m.text = "hello";
    m.server_time_ms = 1795428001000;  // 2026-11-23 10:00:01 UTC
    m.sent_at_ms = 1795428000000;
    return m;
  }
  std::optional<std::string> saved_tz_;
};

TEST_F(FormatTest, DirectMessageText) {
  EXPECT_EQ(format_time(1795428001000), "2026-11-23 10:00:01");
  EXPECT_EQ(message_text(message(), ""), "[2026-11-23 10:00:01] alice: hello");
  auto outgoing = message();
  outgoing.outgoing = true;
  outgoing.peer = "bob";
  EXPECT_EQ(message_text(outgoing, ""), "[2026-11-23 10:00:01] alice -> bob: hello");
  auto no_server_time = message();
  no_server_time.server_time_ms = 0;
  EXPECT_EQ(message_text(no_server_time, ""), "[2026-11-23 10:00:00] alice: hello");
}

TEST_F(FormatTest, GroupMessageText) {
  auto m = message();
  m.peer.clear();
  m.group_id = 12;
  EXPECT_EQ(message_text(m, "team"), "[2026-11-23 10:00:01] #team alice: hello");
  EXPECT_EQ(message_text(m, ""), "[2026-11-23 10:00:01] #12 alice: hello");
}

TEST_F(FormatTest, FileMessageText) {
  auto m = message();
  m.text.clear();
  m.file_name = "cat.png";
  m.file_size = 2048;
  m.file_path = "/home/bob/cat.png";
  EXPECT_EQ(message_text(m, ""),
            "[2026-11-23 10:00:01] alice: [file cat.png, 2048 bytes, saved to /home/bob/cat.png]");
}

TEST_F(FormatTest, DirectMessageJson) {
  const auto json = parse_json_object(message_json(message(), "bob", ""));
  ASSERT_TRUE(json);
  EXPECT_EQ(json->at("type").value, "message");
  EXPECT_EQ(json->at("id").value, "000102030405060708090a0b0c0d0e0f");
  EXPECT_EQ(json->at("from").value, "alice");
  EXPECT_EQ(json->at("to").value, "bob");
  EXPECT_EQ(json->at("text").value, "hello");
  EXPECT_EQ(json->at("time").value, "1795428001000");
  EXPECT_FALSE(json->at("time").is_string);
  EXPECT_EQ(json->at("outgoing").value, "false");
  EXPECT_EQ(json->count("group_id"), 0u);
}

TEST_F(FormatTest, GroupMessageJson) {
  auto m = message();
  m.peer.clear();
  m.group_id = 12;
  const auto json = parse_json_object(message_json(m, "bob", "team"));
  ASSERT_TRUE(json);
  EXPECT_EQ(json->at("group_id").value, "12");
  EXPECT_FALSE(json->at("group_id").is_string);
  EXPECT_EQ(json->at("group").value, "team");
  EXPECT_EQ(json->count("to"), 0u);
}

TEST(Sanitize, KeepsTextAndNeutralizesTerminalControls) {
  EXPECT_EQ(sanitize_for_terminal("hello, w\xC3\xB6rld \xF0\x9F\x98\x80"),
            "hello, w\xC3\xB6rld \xF0\x9F\x98\x80");
  EXPECT_EQ(sanitize_for_terminal("two\nlines\tand tab"), "two\nlines\tand tab");
  EXPECT_EQ(sanitize_for_terminal("\x1b[2J\x1b]0;title\x07"), "^[[2J^[]0;title^G");
  EXPECT_EQ(sanitize_for_terminal("cr\rdel\x7f"), "cr^Mdel^?");
  EXPECT_EQ(sanitize_for_terminal("\xC2\x9B"
                                  "31m"),
            "\xEF\xBF\xBD"
            "31m");  // C1 CSI
  EXPECT_EQ(sanitize_for_terminal("\xE2\x80\xAE"
                                  "evil"),
            "\xEF\xBF\xBD"
            "evil");  // RLO
  EXPECT_EQ(sanitize_for_terminal("\xFF"), "\xEF\xBF\xBD");
}

TEST(ExitCodes, ClassesAreDistinctAndStable) {
  EXPECT_EQ(exit_code_for(Code::kOk), 0);
  EXPECT_EQ(exit_code_for(Code::kInternal), 1);
  EXPECT_EQ(exit_code_for(Code::kInvalidUsername), 2);
  EXPECT_EQ(exit_code_for(Code::kAuthFailed), 3);
  EXPECT_EQ(exit_code_for(Code::kNotAuthenticated), 3);
  EXPECT_EQ(exit_code_for(Code::kUnknownUser), 4);
  EXPECT_EQ(exit_code_for(Code::kUnknownGroup), 4);
  EXPECT_EQ(exit_code_for(Code::kUnavailable), 5);
  EXPECT_EQ(exit_code_for(Code::kUsernameTaken), 6);
  EXPECT_EQ(exit_code_for(Code::kForbidden), 6);
  EXPECT_EQ(exit_code_for(Code::kIdentityChanged), 7);
  EXPECT_EQ(exit_code_for(Code::kKeysLocked), 8);
  EXPECT_STREQ(code_id(Code::kKeysLocked), "keys_locked");
  EXPECT_EQ(exit_code_for(Code::kMembershipUnverified), 9);
  EXPECT_STREQ(code_id(Code::kMembershipUnverified), "membership_unverified");
  std::set<std::string> ids;
  for (int c = 0; c <= static_cast<int>(Code::kMembershipUnverified); ++c) {
    ids.insert(code_id(static_cast<Code>(c)));
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(Code::kMembershipUnverified) + 1)
      << "ids must be unique";
}

TEST(ErrorLine, IsOneLine) {
  EXPECT_EQ(error_line(Status(Code::kUnknownUser, "bob"), false), "fastchat: unknown user: bob");
  EXPECT_EQ(error_line(Status(Code::kIo, "a\nb"), false), "fastchat: i/o error: a b");
  EXPECT_EQ(error_line(Status(Code::kBadRequest, "--server: bad"), false),
            "fastchat: --server: bad");
  const std::string json = error_line(Status(Code::kUnknownUser, "b\nob"), true);
  EXPECT_EQ(json.find('\n'), std::string::npos);
  const auto parsed = parse_json_object(json);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->at("code").value, "unknown_user");
  EXPECT_EQ(parsed->at("exit_code").value, "4");
}

TEST(ChatInput, Parses) {
  EXPECT_EQ(parse_chat_input("").kind, ChatInput::kEmpty);
  EXPECT_EQ(parse_chat_input("   ").kind, ChatInput::kEmpty);
  auto text = parse_chat_input("hello  there ");
  EXPECT_EQ(text.kind, ChatInput::kText);
  EXPECT_EQ(text.text, "hello  there ");
  auto escaped = parse_chat_input("//not a command");
  EXPECT_EQ(escaped.kind, ChatInput::kText);
  EXPECT_EQ(escaped.text, "/not a command");
  auto command = parse_chat_input("/MSG bob  hi   you");
  EXPECT_EQ(command.kind, ChatInput::kCommand);
  EXPECT_EQ(command.command, "msg");
  std::string_view args = command.arguments;
  EXPECT_EQ(take_word(args), "bob");
  EXPECT_EQ(args, "hi   you");
  EXPECT_EQ(take_word(args), "hi");
  EXPECT_EQ(take_word(args), "you");
  EXPECT_EQ(take_word(args), "");
}

TEST(ChatInput, Targets) {
  EXPECT_EQ(parse_target("").kind, ChatTarget::kNone);
  EXPECT_EQ(parse_target("#").kind, ChatTarget::kNone);
  const auto user = parse_target(" bob ");
  EXPECT_EQ(user.kind, ChatTarget::kUser);
  EXPECT_EQ(user.name, "bob");
  const auto group = parse_target("#team");
  EXPECT_EQ(group.kind, ChatTarget::kGroup);
  EXPECT_EQ(group.name, "team");
}

ParseResult parse(std::vector<const char*> args) {
  args.insert(args.begin(), "fastchat");
  return parse_command_line(static_cast<int>(args.size()), args.data());
}

TEST(CommandLine, GlobalOptionsAndCommands) {
  auto r = parse({"--server", "example.org:9000", "--home", "/tmp/h", "--json", "send", "bob",
                  "hello", "world"});
  ASSERT_TRUE(r.invocation);
  EXPECT_EQ(r.invocation->options.server, "example.org:9000");
  EXPECT_EQ(r.invocation->options.home, "/tmp/h");
  EXPECT_TRUE(r.invocation->options.json);
  EXPECT_EQ(r.invocation->command.name, "send");
  EXPECT_EQ(r.invocation->command.args, (std::vector<std::string>{"bob", "hello world"}));
}

TEST(CommandLine, GlobalOptionsMayFollowTheCommand) {
  auto r = parse({"recv", "--wait", "2.5", "--json", "--password-stdin"});
  ASSERT_TRUE(r.invocation);
  EXPECT_EQ(r.invocation->command.name, "recv");
  EXPECT_DOUBLE_EQ(r.invocation->command.wait_seconds, 2.5);
  EXPECT_TRUE(r.invocation->options.json);
  EXPECT_TRUE(r.invocation->options.password_stdin);
}

TEST(CommandLine, GroupCommands) {
  auto create = parse({"group", "create", "team", "bob", "carol"});
  ASSERT_TRUE(create.invocation);
  EXPECT_EQ(create.invocation->command.name, "group create");
  EXPECT_EQ(create.invocation->command.args, (std::vector<std::string>{"team", "bob", "carol"}));
  auto alone = parse({"group", "create", "solo"});
  ASSERT_TRUE(alone.invocation);
  EXPECT_EQ(alone.invocation->command.args, (std::vector<std::string>{"solo"}));
  auto send = parse({"group", "send", "#team", "--", "-1", "is", "negative"});
  ASSERT_TRUE(send.invocation);
  EXPECT_EQ(send.invocation->command.args, (std::vector<std::string>{"#team", "-1 is negative"}));
  auto users = parse({"users"});
  ASSERT_TRUE(users.invocation);
  EXPECT_TRUE(users.invocation->command.args.empty());
  auto history = parse({"history", "bob", "--limit", "5"});
  ASSERT_TRUE(history.invocation);
  EXPECT_EQ(history.invocation->command.limit, 5u);
}

TEST(CommandLine, SessionsCommands) {
  auto list = parse({"--json", "sessions"});
  ASSERT_TRUE(list.invocation);
  EXPECT_EQ(list.invocation->command.name, "sessions");
  EXPECT_TRUE(list.invocation->command.args.empty());
  auto one = parse({"sessions", "revoke", "12345"});
  ASSERT_TRUE(one.invocation);
  EXPECT_EQ(one.invocation->command.name, "sessions revoke");
  EXPECT_EQ(one.invocation->command.args, (std::vector<std::string>{"12345"}));
  EXPECT_FALSE(one.invocation->command.all);
  auto all = parse({"sessions", "revoke", "--all"});
  ASSERT_TRUE(all.invocation);
  EXPECT_EQ(all.invocation->command.name, "sessions revoke");
  EXPECT_TRUE(all.invocation->command.args.empty());
  EXPECT_TRUE(all.invocation->command.all);
}

TEST(CommandLine, DefaultHomeFollowsXdg) {
  const char* saved = std::getenv("XDG_DATA_HOME");
  const std::string saved_value = saved != nullptr ? saved : "";
  const char* saved_home = std::getenv("HOME");
  const std::string saved_home_value = saved_home != nullptr ? saved_home : "";
  ::unsetenv("FASTCHAT_HOME");
  ::setenv("XDG_DATA_HOME", "/xdg/data", 1);
  auto r = parse({"whoami"});
  ASSERT_TRUE(r.invocation);
  EXPECT_EQ(r.invocation->options.home, "/xdg/data/fastchat");
  ::setenv("XDG_DATA_HOME", "relative/ignored", 1);
  ::setenv("HOME", "/home/someone", 1);
  r = parse({"whoami"});
  ASSERT_TRUE(r.invocation);
  EXPECT_EQ(r.invocation->options.home, "/home/someone/.local/share/fastchat");
  if (saved != nullptr) {
    ::setenv("XDG_DATA_HOME", saved_value.c_str(), 1);
  } else {
    ::unsetenv("XDG_DATA_HOME");
  }
  if (saved_home != nullptr) {
    ::setenv("HOME", saved_home_value.c_str(), 1);
  } else {
    ::unsetenv("HOME");
  }
}

TEST(CommandLine, UsageErrorsExitWithTwo) {
  EXPECT_EQ(parse({}).exit_code, kExitUsage);
  EXPECT_EQ(parse({"send", "bob"}).exit_code, kExitUsage);
  EXPECT_EQ(parse({"frobnicate"}).exit_code, kExitUsage);
  EXPECT_EQ(parse({"group"}).exit_code, kExitUsage);
  EXPECT_EQ(parse({"recv", "--wait", "-1"}).exit_code, kExitUsage);
  EXPECT_EQ(parse({"history", "bob", "--limit", "0"}).exit_code, kExitUsage);
  EXPECT_EQ(parse({"--timeout", "0", "whoami"}).exit_code, kExitUsage);
  EXPECT_FALSE(parse({"send", "bob"}).invocation);
}

}  // namespace
}  // namespace fastchat::cli
