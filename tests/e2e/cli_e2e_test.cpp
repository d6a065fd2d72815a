// End-to-end tests of the one-shot commands of `fastchat` against a real
// `fastchat-server`: exit codes, stdout (text and --json) and one-line errors.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "cli_fixture.h"
#include "json_lite.h"
#include "process.h"
#include "support/test_files.h"

namespace fastchat::e2e {
namespace {

namespace fs = std::filesystem;
using fastchat::test_support::read_file;
using fastchat::test_support::write_file;

// `out` without the membership events recv prints before a group's first message
// ("[time] group 7: alice added carol"; --json: "type":"membership").
std::string without_membership_events(const std::string& out) {
  std::string kept;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (matches(line, std::string(kTimeRe) + " group [0-9]+: .*") ||
        line.find("\"type\":\"membership\"") != std::string::npos) {
      continue;
    }
    kept += line + "\n";
  }
  return kept;
}

TEST_F(CliE2e, RegisterSendAndReceiveText) {
  const RunResult alice = register_user("alice");
  ASSERT_EQ(alice.exit_code, 0) << alice.err;
  EXPECT_EQ(alice.out, "registered and logged in as alice\n");
  EXPECT_EQ(alice.err, "");
  ASSERT_OK(register_user("bob"));

  const RunResult sent = cli("alice", {"send", "bob", "hello", "world"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_TRUE(matches(sent.out, "sent to bob \\(id [0-9a-f]{32}\\)\n")) << sent.out;

  const RunResult got = cli("bob", {"recv"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_TRUE(matches(got.out, std::string(kTimeRe) + " alice: hello world\n")) << got.out;

  // recv acknowledged it: nothing new the second time.
  const RunResult again = cli("bob", {"recv"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, "");
}

TEST_F(CliE2e, ReceiveAsJson) {
  ASSERT_OK(register_user("alice"));
  ASSERT_OK(register_user("bob"));
  const std::string text =
      "quote \" backslash \\ tab\t newline\n caf\xC3\xA9 \xF0\x9F\x98\x80 bell\x07";
  const RunResult sent = cli("alice", {"--json", "send", "bob", "--", text});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  const auto ack = parse_json_object(lines_of(sent.out).at(0));
  ASSERT_TRUE(ack) << sent.out;
  EXPECT_EQ(ack->at("type").value, "sent");
  EXPECT_EQ(ack->at("to").value, "bob");
  const std::string id = ack->at("id").value;
  EXPECT_TRUE(matches(id, "[0-9a-f]{32}")) << id;

  const RunResult got = cli("bob", {"recv", "--json"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  const auto lines = lines_of(got.out);
  ASSERT_EQ(lines.size(), 1u) << got.out;
  // Control characters are escaped, so one message is one line.
  EXPECT_NE(lines[0].find(R"(\n)"), std::string::npos);
  EXPECT_NE(lines[0].find(R"(\u0007)"), std::string::npos);
  const auto message = parse_json_object(lines[0]);
  ASSERT_TRUE(message) << "not valid JSON: " << lines[0];
  EXPECT_EQ(message->at("type").value, "message");
  EXPECT_EQ(message->at("id").value, id);
  EXPECT_EQ(message->at("from").value, "alice");
  EXPECT_EQ(message->at("to").value, "bob");
  EXPECT_EQ(message->count("group_id"), 0u);
  EXPECT_EQ(message->at("text").value, text);
  EXPECT_FALSE(message->at("time").is_string);
  EXPECT_TRUE(matches(message->at("time").value, "[1-9][0-9]{12}")) << "milliseconds";
}

TEST_F(CliE2e, OfflineUserGetsEverythingInOrder) {
  ASSERT_OK(register_user("alice"));
  ASSERT_OK(register_user("bob"));
  // bob is not running while alice sends.
  for (const char* text : {"one", "two", "three"})
    ASSERT_OK(cli("alice", {"send", "bob", text}));
  const RunResult got = cli("bob", {"recv"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  const auto lines = lines_of(got.out);
  ASSERT_EQ(lines.size(), 3u) << got.out;
  EXPECT_TRUE(matches(lines[0], std::string(kTimeRe) + " alice: one"));
  EXPECT_TRUE(matches(lines[1], std::string(kTimeRe) + " alice: two"));
  EXPECT_TRUE(matches(lines[2], std::string(kTimeRe) + " alice: three"));
}

TEST_F(CliE2e, UsersAndFiles) {
  ASSERT_OK(register_user("alice"));
  ASSERT_OK(register_user("bob"));

  auto names = [](const std::string& out) {
    std::vector<std::string> names;
    for (auto line : lines_of(out)) {
      if (const auto pos = line.find(" (online)"); pos != std::string::npos) line.erase(pos);
      names.push_back(line);
    }
    std::sort(names.begin(), names.end());
    return names;
  };
  const RunResult all = cli("alice", {"users"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(names(all.out), (std::vector<std::string>{"alice", "bob"})) << all.out;
  const RunResult matching = cli("alice", {"users", "bo"});
  ASSERT_EQ(matching.exit_code, 0) << matching.err;
  EXPECT_EQ(names(matching.out), (std::vector<std::string>{"bob"})) << matching.out;
  const RunResult json = cli("alice", {"--json", "users"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  ASSERT_EQ(lines_of(json.out).size(), 2u) << json.out;
  for (const auto& line : lines_of(json.out)) {
    const auto user = parse_json_object(line);
    ASSERT_TRUE(user) << line;
    EXPECT_EQ(user->at("type").value, "user");
    EXPECT_TRUE(user->at("online").value == "true" || user->at("online").value == "false");
  }

  const std::string file = dir_ + "/report.bin";
  std::string content;
  for (int i = 0; i < 300000; ++i)
    content.push_back(static_cast<char>((static_cast<long>(i) * 7919) % 251));
  write_file(file, content);
  const RunResult sent = cli("alice", {"send-file", "bob", file});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_TRUE(
      matches(sent.out, "sent file report\\.bin \\(300000 bytes\\) to bob \\(id [0-9a-f]{32}\\)\n"))
      << sent.out;
  const RunResult got = cli("bob", {"--json", "recv"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  ASSERT_EQ(lines_of(got.out).size(), 1u) << got.out;
  const auto message = parse_json_object(lines_of(got.out)[0]);
  ASSERT_TRUE(message) << got.out;
  const auto file_info = parse_json_object(message->at("file").value);
  ASSERT_TRUE(file_info) << got.out;
  EXPECT_EQ(file_info->at("name").value, "report.bin");
  EXPECT_EQ(file_info->at("size").value, "300000");
  EXPECT_EQ(read_file(file_info->at("path").value), content);

  ASSERT_OK(cli("alice", {"send-file", "bob", file}));
  const RunResult text = cli("bob", {"recv"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(matches(text.out, std::string(kTimeRe) +
                                    " alice: \\[file report\\.bin, 300000 bytes, saved to .*\\]\n"))
      << text.out;

  const RunResult missing = cli("alice", {"send-file", "bob", dir_ + "/no-such-file"});
  EXPECT_EQ(missing.exit_code, 4);
  single_error_line(missing);
}

TEST_F(CliE2e, RecvWaitPrintsMessagesAsTheyArriveUntilInterrupted) {
  ASSERT_OK(register_user("alice"));
  ASSERT_OK(register_user("bob"));
  auto bob = recv_wait("bob", 120);
  ASSERT_OK(cli("alice", {"send", "bob", "first"}));
  // Seeing the first message proves bob is connected, so the second one is a live push.
  ASSERT_TRUE(bob->wait_for_stdout("alice: first\n", kWaitTimeout)) << bob->out() << bob->err();
  ASSERT_OK(cli("alice", {"send", "bob", "second"}));
  ASSERT_TRUE(bob->wait_for_stdout("alice: second\n", kWaitTimeout)) << bob->out() << bob->err();
  EXPECT_EQ(bob->stop(SIGINT, kWaitTimeout), 0) << bob->err();
  EXPECT_EQ(lines_of(bob->out()).size(), 2u) << bob->out();
  EXPECT_EQ(bob->err(), "");

  // Both were acknowledged.
  const RunResult again = cli("bob", {"recv"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, "");
}

TEST_F(CliE2e, RecvWaitEndsAfterTheDuration) {
  ASSERT_OK(register_user("bob"));
  const auto start = Clock::now();
  const RunResult r = cli("bob", {"recv", "--wait", "1"});
  const auto elapsed = Clock::now() - start;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_GE(elapsed, milliseconds(1000));
  EXPECT_LT(elapsed, seconds(20));
}

TEST_F(CliE2e, Groups) {
  for (const char* user : {"alice", "bob", "carol"})
    ASSERT_OK(register_user(user));

  const RunResult created = cli("alice", {"--json", "group", "create", "team", "bob"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const auto group = parse_json_object(lines_of(created.out).at(0));
  ASSERT_TRUE(group) << created.out;
  EXPECT_EQ(group->at("type").value, "group");
  EXPECT_EQ(group->at("name").value, "team");
  const std::string id = group->at("id").value;
  EXPECT_TRUE(matches(id, "[1-9][0-9]*")) << id;

  const RunResult listed = cli("bob", {"group", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_TRUE(matches(listed.out, "#team \\(id " + id + "\\): .*\n")) << listed.out;

  auto members = [&](const std::string& user, const std::string& group_arg) {
    const RunResult r = cli(user, {"group", "members", group_arg});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto lines = lines_of(r.out);
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  EXPECT_EQ(members("alice", "team"), (std::vector<std::string>{"alice (admin)", "bob"}));
  EXPECT_EQ(members("bob", id), (std::vector<std::string>{"alice (admin)", "bob"}));

  const RunResult added = cli("alice", {"group", "add", "team", "carol"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_EQ(added.out, "added carol to #team\n");
  EXPECT_EQ(members("alice", "#team"), (std::vector<std::string>{"alice (admin)", "bob", "carol"}));

  const RunResult sent = cli("alice", {"group", "send", "team", "hi", "all"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_TRUE(matches(sent.out, "sent to #team \\(id [0-9a-f]{32}\\)\n")) << sent.out;
  for (const char* user : {"bob", "carol"}) {
    const RunResult got = cli(user, {"recv"});
    ASSERT_EQ(got.exit_code, 0) << got.err;
    EXPECT_TRUE(matches(without_membership_events(got.out),
                        std::string(kTimeRe) + " #team alice: hi all\n"))
        << user << ": " << got.out;
  }
  const RunResult got_json = cli("alice", {"--json", "group", "send", "team", "again"});
  ASSERT_EQ(got_json.exit_code, 0) << got_json.err;
  const RunResult bob_json = cli("bob", {"--json", "recv"});
  ASSERT_EQ(bob_json.exit_code, 0) << bob_json.err;
  const auto message = parse_json_object(lines_of(bob_json.out).at(0));
  ASSERT_TRUE(message) << bob_json.out;
  EXPECT_EQ(message->at("group_id").value, id);
  EXPECT_FALSE(message->at("group_id").is_string);
  EXPECT_EQ(message->count("to"), 0u);
  EXPECT_EQ(message->at("text").value, "again");

  const RunResult removed = cli("alice", {"group", "remove", "team", "carol"});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_EQ(removed.out, "removed carol from #team\n");
  EXPECT_EQ(members("alice", "team"), (std::vector<std::string>{"alice (admin)", "bob"}));
  // carol is no longer a member: she can neither send to it nor name it.
  const RunResult refused = cli("carol", {"group", "send", id, "still here?"});
  EXPECT_NE(refused.exit_code, 0) << refused.out;
  single_error_line(refused);

  const RunResult left = cli("bob", {"group", "leave", "team"});
  ASSERT_EQ(left.exit_code, 0) << left.err;
  EXPECT_EQ(left.out, "left #team\n");
  EXPECT_EQ(members("alice", "team"), (std::vector<std::string>{"alice (admin)"}));
  const RunResult bob_groups = cli("bob", {"group", "list"});
  ASSERT_EQ(bob_groups.exit_code, 0) << bob_groups.err;
  EXPECT_EQ(bob_groups.out, "");

  const RunResult unknown = cli("alice", {"group", "members", "no-such-group"});
  EXPECT_EQ(unknown.exit_code, 4) << unknown.out << unknown.err;
  single_error_line(unknown);
}

TEST_F(CliE2e, GroupShowTellsWhoChangedTheMembers) {
  for (const char* user : {"alice", "bob", "carol"})
    ASSERT_OK(register_user(user));
  ASSERT_OK(cli("alice", {"group", "create", "team", "bob"}));
  ASSERT_OK(cli("alice", {"group", "add", "team", "carol"}));
  ASSERT_OK(cli("alice", {"group", "remove", "team", "bob"}));

  // carol's client verifies the signed chain from the creation.
  const RunResult shown = cli("carol", {"group", "show", "team"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  const auto lines = lines_of(shown.out);
  ASSERT_EQ(lines.size(), 4u) << shown.out;
  EXPECT_TRUE(matches(lines[0], "#team \\(id [0-9]+\\): alice\\*, carol")) << lines[0];
  const std::string event = std::string(kTimeRe) + " group [0-9]+: ";
  EXPECT_TRUE(matches(lines[1], event + "alice created the group")) << lines[1];
  EXPECT_TRUE(matches(lines[2], event + "alice added carol")) << lines[2];
  EXPECT_TRUE(matches(lines[3], event + "alice removed bob")) << lines[3];

  const RunResult json = cli("carol", {"--json", "group", "show", "team"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto json_lines = lines_of(json.out);
  ASSERT_EQ(json_lines.size(), 4u) << json.out;
  const auto removal = parse_json_object(json_lines[3]);
  ASSERT_TRUE(removal) << json.out;
  EXPECT_EQ(removal->at("type").value, "membership");
  EXPECT_EQ(removal->at("event").value, "removed");
  EXPECT_EQ(removal->at("actor").value, "alice");
  EXPECT_EQ(removal->at("subject").value, "bob");
  EXPECT_EQ(removal->at("seq").value, "3");
}

TEST_F(CliE2e, ABlockedSenderIsNotToldAndCannotAdd) {
  ASSERT_OK(register_user("alice"));
  ASSERT_OK(register_user("bob"));
  const RunResult blocked = cli("bob", {"block", "alice"});
  ASSERT_EQ(blocked.exit_code, 0) << blocked.err;
  EXPECT_EQ(lines_of(blocked.out).size(), 1u) << blocked.out;
  const RunResult listed = cli("bob", {"blocks"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(listed.out, "alice\n");

  // alice's send looks like any other; bob never gets it.
  const RunResult sent = cli("alice", {"send", "bob", "let me in"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_TRUE(matches(sent.out, "sent to bob \\(id [0-9a-f]{32}\\)\n")) << sent.out;
  // A group add is refused (the adder learns that much).
  const RunResult trap = cli("alice", {"group", "create", "trap", "bob"});
  EXPECT_EQ(trap.exit_code, 6) << trap.out << trap.err;
  single_error_line(trap);
  const RunResult none = cli("bob", {"recv"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(none.out, "");

  ASSERT_OK(cli("bob", {"unblock", "alice"}));
  const RunResult empty = cli("bob", {"blocks"});
  ASSERT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_EQ(empty.out, "");
  ASSERT_OK(cli("alice", {"send", "bob", "now?"}));
  const RunResult got = cli("bob", {"recv"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_TRUE(matches(got.out, std::string(kTimeRe) + " alice: now\\?\n")) << got.out;
}

TEST_F(CliE2e, GroupSendFile) {
  for (const char* user : {"alice", "bob", "carol", "dave"})
    ASSERT_OK(register_user(user));
  ASSERT_OK(cli("alice", {"group", "create", "crew", "bob", "carol"}));
  const std::string file = dir_ + "/deck.png";
  std::string content;
  for (int i = 0; i < 300000; ++i)
    content.push_back(static_cast<char>((static_cast<long>(i) * 131) % 253));
  write_file(file, content);

  const RunResult sent = cli("alice", {"group", "send-file", "crew", file});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_TRUE(
      matches(sent.out, "sent file deck\\.png \\(300000 bytes\\) to #crew \\(id [0-9a-f]{32}\\)\n"))
      << sent.out;
  const RunResult text = cli("bob", {"recv"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(matches(
      without_membership_events(text.out),
      std::string(kTimeRe) + " #crew alice: \\[file deck\\.png, 300000 bytes, saved to .*\\]\n"))
      << text.out;
  const RunResult got = cli("carol", {"--json", "recv"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  const std::string carol_got = without_membership_events(got.out);
  ASSERT_EQ(lines_of(carol_got).size(), 1u) << got.out;
  const auto message = parse_json_object(lines_of(carol_got)[0]);
  ASSERT_TRUE(message) << got.out;
  EXPECT_EQ(message->at("group").value, "crew");
  EXPECT_EQ(message->at("from").value, "alice");
  const auto file_info = parse_json_object(message->at("file").value);
  ASSERT_TRUE(file_info) << got.out;
  EXPECT_EQ(file_info->at("name").value, "deck.png");
  EXPECT_EQ(read_file(file_info->at("path").value), content);

  // A missing file is "not found"; a non-member is refused; both with one line.
  const RunResult missing = cli("alice", {"group", "send-file", "crew", dir_ + "/no-such-file"});
  EXPECT_EQ(missing.exit_code, 4);
  single_error_line(missing);
  const RunResult stranger = cli("dave", {"group", "send-file", "crew", file});
  EXPECT_NE(stranger.exit_code, 0) << stranger.out;
  single_error_line(stranger);
}

TEST_F(CliE2e, History) {
  ASSERT_OK(register_user("alice"));
  ASSERT_OK(register_user("bob"));
  ASSERT_OK(cli("alice", {"send", "bob", "one"}));
  ASSERT_OK(cli("bob", {"recv"}));
  ASSERT_OK(cli("bob", {"send", "alice", "two"}));
  ASSERT_OK(cli("alice", {"recv"}));
  ASSERT_OK(cli("alice", {"send", "bob", "three"}));

  const RunResult history = cli("alice", {"history", "bob"});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  const auto lines = lines_of(history.out);
  ASSERT_EQ(lines.size(), 3u) << history.out;
  EXPECT_TRUE(matches(lines[0], std::string(kTimeRe) + " alice -> bob: one")) << lines[0];
  EXPECT_TRUE(matches(lines[1], std::string(kTimeRe) + " bob: two")) << lines[1];
  EXPECT_TRUE(matches(lines[2], std::string(kTimeRe) + " alice -> bob: three")) << lines[2];

  const RunResult last = cli("alice", {"history", "bob", "--limit", "1"});
  ASSERT_EQ(last.exit_code, 0) << last.err;
  ASSERT_EQ(lines_of(last.out).size(), 1u) << last.out;
  EXPECT_NE(last.out.find("three"), std::string::npos);

  const RunResult json = cli("alice", {"--json", "history", "bob"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  ASSERT_EQ(lines_of(json.out).size(), 3u);
  const auto first = parse_json_object(lines_of(json.out)[0]);
  ASSERT_TRUE(first) << json.out;
  EXPECT_EQ(first->at("from").value, "alice");
  EXPECT_EQ(first->at("to").value, "bob");
  EXPECT_EQ(first->at("outgoing").value, "true");

  ASSERT_OK(cli("alice", {"group", "create", "team", "bob"}));
  ASSERT_OK(cli("alice", {"group", "send", "team", "to the team"}));
  for (const char* peer : {"#team", "team"}) {
    const RunResult group = cli("alice", {"history", peer});
    ASSERT_EQ(group.exit_code, 0) << group.err;
    EXPECT_TRUE(matches(group.out, std::string(kTimeRe) + " #team alice: to the team\n"))
        << peer << ": " << group.out;
  }
}

TEST_F(CliE2e, WhoamiAndLogout) {
  ASSERT_OK(register_user("alice"));
  const RunResult who = cli("alice", {"whoami"});
  ASSERT_EQ(who.exit_code, 0) << who.err;
  EXPECT_EQ(who.out, "alice on " + address_ + "\n");

  const RunResult out = cli("alice", {"logout"});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(out.out, "logged out alice\n");

  const RunResult after = cli("alice", {"whoami"});
  EXPECT_EQ(after.exit_code, 3);
  EXPECT_EQ(after.out, "");
  EXPECT_EQ(single_error_line(after), "fastchat: not logged in: run `fastchat login USER`");

  // Logging in again works, with the password.
  const RunResult login =
      cli("alice", {"--password-stdin", "login", "alice"}, password("alice") + "\n");
  ASSERT_EQ(login.exit_code, 0) << login.err;
  EXPECT_EQ(login.out, "logged in as alice\n");
  ASSERT_OK(cli("alice", {"whoami"}));
}

TEST_F(CliE2e, PasswdChangesThePasswordAndLogsOutTheOtherSessions) {
  ASSERT_OK(register_user("alice"));
  const std::string old_password = password("alice");
  const std::string new_password = password("alice-renewed");

  const RunResult wrong =
      cli("alice", {"--password-stdin", "passwd"}, "not it\n" + new_password + "\n");
  EXPECT_EQ(wrong.exit_code, 3) << wrong.err;
  EXPECT_NE(single_error_line(wrong).find("current password is wrong"), std::string::npos)
      << wrong.err;

  const RunResult changed =
      cli("alice", {"--password-stdin", "passwd"}, old_password + "\n" + new_password + "\n");
  ASSERT_EQ(changed.exit_code, 0) << changed.err;
  EXPECT_EQ(changed.out, "changed the password of alice; your other sessions are logged out\n");
  ASSERT_OK(cli("alice", {"whoami"}));  // this session goes on, with the re-wrapped keystore

  ASSERT_OK(cli("alice", {"logout"}));
  const RunResult old_login =
      cli("alice", {"--password-stdin", "login", "alice"}, old_password + "\n");
  EXPECT_EQ(old_login.exit_code, 3) << old_login.err;
  const RunResult new_login =
      cli("alice", {"--password-stdin", "login", "alice"}, new_password + "\n");
  ASSERT_EQ(new_login.exit_code, 0) << new_login.err;
  ASSERT_OK(cli("alice", {"whoami"}));
}

TEST_F(CliE2e, SessionsAreListedAndRevoked) {
  ASSERT_OK(register_user("alice"));
  // The same account logged in from two more homes (devices), each given the keystore.
  for (const std::string other : {"alice-laptop", "alice-phone"}) {
    fs::create_directories(home(other) + "/users/alice");
    fs::copy_file(home("alice") + "/users/alice/keystore", home(other) + "/users/alice/keystore");
    const RunResult login =
        cli(other, {"--password-stdin", "login", "alice"}, password("alice") + "\n");
    ASSERT_EQ(login.exit_code, 0) << login.err;
  }

  const RunResult table = cli("alice", {"sessions"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  std::vector<std::string> lines;
  std::istringstream text(table.out);
  for (std::string line; std::getline(text, line);)
    lines.push_back(line);
  ASSERT_EQ(lines.size(), 4u) << table.out;
  EXPECT_TRUE(lines[0].starts_with("ID ")) << lines[0];
  EXPECT_EQ(std::count_if(lines.begin(), lines.end(),
                          [](const std::string& l) {
                            return l.find("fastchat on ") != std::string::npos &&
                                   l.ends_with("(this session)");
                          }),
            1)
      << table.out;

  const RunResult json = cli("alice", {"--json", "sessions"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  std::vector<std::string> others;
  std::istringstream rows(json.out);
  for (std::string line; std::getline(rows, line);) {
    const auto row = parse_json_object(line);
    ASSERT_TRUE(row) << line;
    EXPECT_EQ(row->at("type").value, "session");
    EXPECT_NE(row->at("device_id").value, "0");
    if (row->at("current").value == "false") others.push_back(row->at("id").value);
  }
  ASSERT_EQ(others.size(), 2u) << json.out;

  // Revoking one: that home must log in again, the others go on.
  const RunResult revoked = cli("alice", {"sessions", "revoke", others[0]});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  EXPECT_EQ(revoked.out, "revoked session " + others[0] + "\n");
  const RunResult again = cli("alice", {"sessions", "revoke", others[0]});
  EXPECT_EQ(again.exit_code, 4) << again.out;
  EXPECT_NE(single_error_line(again).find("no session"), std::string::npos) << again.err;
  const RunResult not_an_id = cli("alice", {"sessions", "revoke", "twelve"});
  EXPECT_EQ(not_an_id.exit_code, 2) << not_an_id.out;
  const RunResult both = cli("alice", {"sessions", "revoke", "--all", others[1]});
  EXPECT_EQ(both.exit_code, 2) << both.out;
  const int still_working =
      cli("alice-laptop", {"whoami"}).exit_code + cli("alice-phone", {"whoami"}).exit_code;
  EXPECT_EQ(still_working, 3) << "exactly one of the two homes was logged out";

  // --all: only this session is left.
  const RunResult all = cli("alice", {"--json", "sessions", "revoke", "--all"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  const auto answer = parse_json_object(all.out.substr(0, all.out.find('\n')));
  ASSERT_TRUE(answer) << all.out;
  EXPECT_EQ(answer->at("revoked").value, "1");
  for (const std::string other : {"alice-laptop", "alice-phone"}) {
    const RunResult who = cli(other, {"whoami"});
    EXPECT_EQ(who.exit_code, 3) << other;
    EXPECT_NE(single_error_line(who).find("fastchat login alice"), std::string::npos) << who.err;
  }
  const RunResult left = cli("alice", {"--json", "sessions"});
  ASSERT_EQ(left.exit_code, 0) << left.err;
  EXPECT_EQ(std::count(left.out.begin(), left.out.end(), '\n'), 1) << left.out;
}

TEST_F(CliE2e, ACopiedSessionFileDoesNotResumeWithoutTheDeviceKey) {
  // The file mode, so that the copied session file holds the data key too (with the
  // keyring it holds no key at all: KeyringE2e.TwoHomesDoNotSeeEachOthersKey).
  ASSERT_OK(cli_env("alice", {"FASTCHAT_DATA_KEY_IN_FILE=1"},
                    {"--password-stdin", "register", "alice"}, password("alice") + "\n"));
  // Everything of alice's home but the device key.
  fs::create_directories(home("thief") + "/users/alice");
  fs::copy_file(home("alice") + "/session", home("thief") + "/session");
  fs::copy_file(home("alice") + "/users/alice/keystore", home("thief") + "/users/alice/keystore");
  const RunResult stolen = cli("thief", {"whoami"});
  EXPECT_EQ(stolen.exit_code, 3) << stolen.out;
  EXPECT_NE(single_error_line(stolen).find("another device"), std::string::npos) << stolen.err;
  ASSERT_OK(cli("alice", {"whoami"}));  // the owner goes on
}

TEST_F(CliE2e, ErrorsHaveDistinctExitCodesAndOneLine) {
  ASSERT_OK(register_user("alice"));

  const RunResult unknown_user = cli("alice", {"send", "nobody", "hi"});
  EXPECT_EQ(unknown_user.exit_code, 4);
  EXPECT_NE(single_error_line(unknown_user).find("unknown user"), std::string::npos)
      << unknown_user.err;

  const RunResult json_error = cli("alice", {"--json", "send", "nobody", "hi"});
  EXPECT_EQ(json_error.exit_code, 4);
  const auto error = parse_json_object(single_error_line(json_error));
  ASSERT_TRUE(error) << json_error.err;
  EXPECT_EQ(error->at("type").value, "error");
  EXPECT_EQ(error->at("code").value, "unknown_user");
  EXPECT_EQ(error->at("exit_code").value, "4");

  const RunResult not_logged_in = cli("nobody-home", {"send", "alice", "hi"});
  EXPECT_EQ(not_logged_in.exit_code, 3);
  EXPECT_EQ(single_error_line(not_logged_in), "fastchat: not logged in: run `fastchat login USER`");

  const RunResult taken = register_user("alice");
  EXPECT_EQ(taken.exit_code, 6) << taken.out;
  single_error_line(taken);

  const RunResult invalid =
      cli("x", {"--password-stdin", "register", "Not Valid!"}, password("x") + "\n");
  EXPECT_EQ(invalid.exit_code, 2);
  single_error_line(invalid);

  const RunResult usage = cli("alice", {"send", "bob"});
  EXPECT_EQ(usage.exit_code, 2);
  single_error_line(usage);
  const RunResult unknown_command = cli("alice", {"frobnicate"});
  EXPECT_EQ(unknown_command.exit_code, 2);
  single_error_line(unknown_command);

  const RunResult no_password = cli("dave", {"--password-stdin", "register", "dave"}, "");
  EXPECT_EQ(no_password.exit_code, 2);
  single_error_line(no_password);

  // A weak password is refused before anything is sent, saying why and what to do.
  const RunResult own_name = cli("dave", {"--password-stdin", "register", "dave"}, "Dave\n");
  EXPECT_EQ(own_name.exit_code, 2) << own_name.out;
  EXPECT_EQ(single_error_line(own_name),
            "fastchat: the password is too weak: it is your user name; choose at least 10 "
            "characters that are hard to guess, e.g. four or more random words, and no names, "
            "dates or keyboard patterns");
  const RunResult common =
      cli("dave", {"--json", "--password-stdin", "register", "dave"}, "password123\n");
  EXPECT_EQ(common.exit_code, 2) << common.out;
  const auto weak = parse_json_object(single_error_line(common));
  ASSERT_TRUE(weak) << common.err;
  EXPECT_EQ(weak->at("code").value, "weak_password");
  EXPECT_NE(weak->at("message").value.find("common password"), std::string::npos)
      << weak->at("message").value;
  const RunResult weak_passwd =
      cli("alice", {"--password-stdin", "passwd"}, password("alice") + "\nasdfghjkl;\n");
  EXPECT_EQ(weak_passwd.exit_code, 2) << weak_passwd.out;
  EXPECT_NE(single_error_line(weak_passwd).find("keyboard pattern"), std::string::npos)
      << weak_passwd.err;
  ASSERT_OK(cli("alice", {"whoami"}));  // still logged in, with the old password

  const std::string closed = "127.0.0.1:" + std::to_string(unused_port());
  const RunResult unreachable = run_process({client_binary(), "--server", closed, "--home",
                                             home("erin"), "--password-stdin", "register", "erin"},
                                            password("erin") + "\n", kCommandTimeout);
  EXPECT_EQ(unreachable.exit_code, 5) << unreachable.out;
  single_error_line(unreachable);

  // Wrong password (last: a failed login must not need the session, and is rate-limited).
  const RunResult wrong = cli("alice", {"--password-stdin", "login", "alice"}, "wrong\n");
  EXPECT_EQ(wrong.exit_code, 3) << wrong.out;
  single_error_line(wrong);
  // Logging in to an account that does not exist fails too (auth or not-found).
  const RunResult ghost = cli("ghost", {"--password-stdin", "login", "ghost"}, "whatever\n");
  EXPECT_NE(ghost.exit_code, 0);
  single_error_line(ghost);
}

// The server's TLS key is pinned on first use in the home's known_hosts; a different
// pinned key makes every command fail with the documented message, and trust-server
// (with the fingerprint the operator prints) accepts the server again.
TEST_F(CliE2e, AChangedServerKeyIsRefusedUntilTrustServer) {
  ASSERT_OK(register_user("alice"));
  const std::string known_hosts = home("alice") + "/known_hosts";
  const std::string pinned = read_file(known_hosts);
  ASSERT_NE(pinned.find(address_ + " SHA256:"), std::string::npos) << pinned;
  const RunResult printed =
      run_process({server_binary(), "--data-dir", dir_ + "/server", "--print-fingerprint"}, {},
                  kCommandTimeout);
  ASSERT_EQ(printed.exit_code, 0) << printed.err;
  const std::string fingerprint = printed.out.substr(0, printed.out.find('\n'));
  EXPECT_NE(pinned.find(fingerprint), std::string::npos);

  // As if the server's key had changed (or someone were in between).
  const std::string other = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  ASSERT_OK(cli("alice", {"trust-server", address_, other}));
  const RunResult refused = cli("alice", {"whoami"});
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  const std::string line = single_error_line(refused);
  EXPECT_NE(line.find("HAS CHANGED"), std::string::npos) << line;
  EXPECT_NE(line.find("fastchat trust-server " + address_ + " " + fingerprint), std::string::npos)
      << line;

  ASSERT_OK(cli("alice", {"trust-server", address_, fingerprint}));
  ASSERT_OK(cli("alice", {"whoami"}));
  // Without a fingerprint: the key presented now is pinned, and printed.
  const RunResult fetched = cli("bob", {"trust-server", address_});
  ASSERT_EQ(fetched.exit_code, 0) << fetched.err;
  EXPECT_NE(fetched.out.find(fingerprint), std::string::npos) << fetched.out;
  // A plaintext client gets nowhere with a TLS server.
  const RunResult plaintext = cli(
      "carol", {"--insecure-plaintext", "--password-stdin", "--timeout", "5", "register", "carol"},
      password("carol") + "\n");
  EXPECT_NE(plaintext.exit_code, 0);
}

}  // namespace

// kill -9 of `recv` while it works through a backlog (after it showed something, so
// between storing messages and acknowledging them): the ratchet state and the history
// commit together, so the next run neither loses a message nor shows one twice, and
// the session still works both ways.
TEST_F(CliE2e, RecvKilledMidBacklogLosesNothingAndShowsNothingTwice) {
  ASSERT_OK(register_user("alice"));
  ASSERT_OK(register_user("bob"));
  constexpr int kCount = 12;
  for (int i = 0; i < kCount; ++i)
    ASSERT_OK(cli("alice", {"send", "bob", "m" + std::to_string(i)}));
  std::string printed;
  const std::string last = "alice: m" + std::to_string(kCount - 1) + "\n";
  int kills = 0;
  for (int round = 0; round < 3 * kCount && printed.find(last) == std::string::npos; ++round) {
    auto bob = recv_wait("bob", 60);
    const bool showed =
        bob->wait_for_stdout([](const std::string& out) { return !out.empty(); }, kWaitTimeout);
    bob->stop(SIGKILL, kWaitTimeout);
    printed += bob->out();
    // Nothing new: everything is stored (one stored right before a kill may not have
    // been shown; the history below has it).
    if (!showed) break;
    ++kills;
  }
  EXPECT_GT(kills, 0);
  const RunResult rest = cli("bob", {"recv"});
  ASSERT_EQ(rest.exit_code, 0) << rest.err;
  printed += rest.out;

  const RunResult history = cli("bob", {"history", "alice", "--limit", "100"});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  const auto lines = lines_of(history.out);
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(kCount)) << history.out;
  for (int i = 0; i < kCount; ++i) {
    const std::string text = "alice: m" + std::to_string(i) + "\n";
    EXPECT_TRUE(matches(lines[i], std::string(kTimeRe) + " alice: m" + std::to_string(i)))
        << lines[i];
    // Shown at most once (one killed right after storing may not have printed it).
    const auto first = printed.find(text);
    EXPECT_TRUE(first == std::string::npos || printed.find(text, first + 1) == std::string::npos)
        << text << printed;
  }
  ASSERT_OK(cli("bob", {"send", "alice", "still there"}));
  const RunResult alice = cli("alice", {"recv"});
  ASSERT_EQ(alice.exit_code, 0) << alice.err;
  EXPECT_NE(alice.out.find("bob: still there"), std::string::npos) << alice.out;
  ASSERT_OK(cli("alice", {"send", "bob", "and back"}));
  const RunResult back = cli("bob", {"recv"});
  ASSERT_EQ(back.exit_code, 0) << back.err;
  EXPECT_NE(back.out.find("alice: and back"), std::string::npos) << back.out;
}

}  // namespace fastchat::e2e
