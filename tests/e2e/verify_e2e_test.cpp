// End to end: `fastchat verify` and what every command says when the server serves
// another key for a known contact (docs/security.md, "Verified contacts"). The
// lying server is the real fastchat-server whose database is rewritten between
// commands, with keys validly self-signed for the victim's name.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>
#include <string>
#include <vector>

#include "cli_fixture.h"
#include "crypto/identity.h"
#include "crypto/x3dh.h"
#include "json_lite.h"
#include "process.h"

namespace fastchat::e2e {
namespace {

constexpr const char* kSafetyNumberRe = R"(  (\d{5} ){11}\d{5})";

class VerifyE2e : public CliE2e {
 protected:
  // What a compromised server does: hand out mallory's keys as `user`'s from now on.
  void serve_other_keys(const std::string& user) {
    const auto mallory = crypto::Identity::generate();
    const auto keys = mallory.public_identity(user);
    const std::string path = dir_ + "/server/fastchat.db";
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    sqlite3_busy_timeout(db, 10'000);
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "UPDATE users SET sign_public_key = ?, box_public_key = ?,"
                                 " key_signature = ? WHERE username = ?",
                                 -1, &stmt, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_bind_blob(stmt, 1, keys.sign_public_key.data(),
                      static_cast<int>(keys.sign_public_key.size()), SQLITE_TRANSIENT);
    sqlite3_bind_blob(stmt, 2, keys.box_public_key.data(),
                      static_cast<int>(keys.box_public_key.size()), SQLITE_TRANSIENT);
    sqlite3_bind_blob(stmt, 3, keys.signature.data(), static_cast<int>(keys.signature.size()),
                      SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 4, user.c_str(), -1, SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE) << sqlite3_errmsg(db);
    EXPECT_EQ(sqlite3_changes(db), 1);
    sqlite3_finalize(stmt);
    // And a signed prekey of mallory's (E2EE v2 bundles must verify), no one-time ones.
    const auto spk = crypto::sign_prekey(mallory, crypto::generate_prekey(1));
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "UPDATE signed_prekeys SET key_id = ?, public_key = ?,"
                                 " signature = ? WHERE user_id ="
                                 " (SELECT id FROM users WHERE username = ?)",
                                 -1, &stmt, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_bind_int64(stmt, 1, spk.id);
    sqlite3_bind_blob(stmt, 2, spk.public_key.data(), static_cast<int>(spk.public_key.size()),
                      SQLITE_TRANSIENT);
    sqlite3_bind_blob(stmt, 3, spk.signature.data(), static_cast<int>(spk.signature.size()),
                      SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 4, user.c_str(), -1, SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE) << sqlite3_errmsg(db);
    EXPECT_EQ(sqlite3_changes(db), 1);
    sqlite3_finalize(stmt);
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "DELETE FROM one_time_prekeys WHERE user_id ="
                                 " (SELECT id FROM users WHERE username = ?)",
                                 -1, &stmt, nullptr),
              SQLITE_OK);
    sqlite3_bind_text(stmt, 1, user.c_str(), -1, SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE) << sqlite3_errmsg(db);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
  }

  // The JSON object of `line`, or a failure.
  static std::map<std::string, JsonMember> json(const std::string& line) {
    auto parsed = parse_json_object(line);
    EXPECT_TRUE(parsed) << "not JSON: " << line;
    return parsed ? *parsed : std::map<std::string, JsonMember>();
  }
};

TEST_F(VerifyE2e, BothUsersSeeTheSameSafetyNumberAndConfirmIt) {
  ASSERT_OK(register_user("alice"));
  ASSERT_OK(register_user("bob"));
  const RunResult shown = cli("alice", {"verify", "bob"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_TRUE(matches(shown.out, std::string("safety number with bob:\n") + kSafetyNumberRe +
                                     "\n(.|\n)*state: unverified\n(.|\n)*"))
      << shown.out;
  const RunResult alices = cli("alice", {"--json", "verify", "bob"});
  const RunResult bobs = cli("bob", {"--json", "verify", "alice"});
  ASSERT_EQ(alices.exit_code, 0) << alices.err;
  ASSERT_EQ(bobs.exit_code, 0) << bobs.err;
  auto a = json(lines_of(alices.out).at(0));
  auto b = json(lines_of(bobs.out).at(0));
  EXPECT_EQ(a["type"].value, "verify");
  EXPECT_TRUE(matches(a["safety_number"].value, R"(\d{60})")) << a["safety_number"].value;
  EXPECT_EQ(a["safety_number"].value, b["safety_number"].value);
  EXPECT_EQ(a["fingerprint"].value, b["own_fingerprint"].value);
  EXPECT_EQ(a["state"].value, "unverified");
  EXPECT_EQ(a["key_changed"].value, "false");

  const RunResult confirmed = cli("alice", {"--json", "verify", "bob", "--confirm"});
  ASSERT_EQ(confirmed.exit_code, 0) << confirmed.err;
  EXPECT_EQ(json(lines_of(confirmed.out).at(0))["state"].value, "verified");
  const RunResult nothing_new = cli("alice", {"verify", "bob", "--accept-new"});
  EXPECT_EQ(nothing_new.exit_code, 4) << nothing_new.err;  // not found: no changed key
  EXPECT_EQ(cli("alice", {"verify", "nobody"}).exit_code, 4);
}

TEST_F(VerifyE2e, AChangedKeyIsShownByEveryCommandAndBlocksAVerifiedContact) {
  ASSERT_OK(register_user("alice"));
  ASSERT_OK(register_user("bob"));
  ASSERT_OK(cli("alice", {"send", "bob", "hi"}));
  ASSERT_OK(cli("alice", {"verify", "bob", "--confirm"}));
  const auto before = json(lines_of(cli("alice", {"--json", "verify", "bob"}).out).at(0));

  serve_other_keys("bob");
  const RunResult refused = cli("alice", {"send", "bob", "to mallory?"});
  EXPECT_EQ(refused.exit_code, 7) << refused.err;
  EXPECT_EQ(refused.out, "");
  EXPECT_NE(refused.err.find("WARNING: the server now gives another identity key for bob"),
            std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("nothing was sent"), std::string::npos) << refused.err;
  const RunResult refused_file = cli("alice", {"send-file", "bob", dir_ + "/server.log"});
  EXPECT_EQ(refused_file.exit_code, 7) << refused_file.err;

  const RunResult as_json = cli("alice", {"--json", "send", "bob", "again"});
  EXPECT_EQ(as_json.exit_code, 7);
  const auto err_lines = lines_of(as_json.err);
  ASSERT_EQ(err_lines.size(), 2u) << as_json.err;
  auto warning = json(err_lines[0]);
  EXPECT_EQ(warning["type"].value, "warning");
  EXPECT_EQ(warning["code"].value, "identity_changed");
  EXPECT_EQ(warning["user"].value, "bob");
  auto error = json(err_lines[1]);
  EXPECT_EQ(error["code"].value, "identity_changed");
  EXPECT_EQ(error["exit_code"].value, "7");

  // A group with bob stops too.
  ASSERT_OK(cli("alice", {"group", "create", "team", "bob"}));
  EXPECT_EQ(cli("alice", {"group", "send", "team", "hello team"}).exit_code, 7);

  const RunResult looked = cli("alice", {"--json", "verify", "bob"});
  ASSERT_EQ(looked.exit_code, 0) << looked.err;
  auto trust = json(lines_of(looked.out).at(0));
  EXPECT_EQ(trust["key_changed"].value, "true");
  EXPECT_EQ(trust["state"].value, "verified");
  EXPECT_EQ(trust["safety_number"].value, before.at("safety_number").value);  // pin kept
  EXPECT_NE(trust["new_safety_number"].value, before.at("safety_number").value);
  EXPECT_EQ(cli("alice", {"verify", "bob", "--confirm"}).exit_code, 7);

  const RunResult accepted = cli("alice", {"--json", "verify", "bob", "--accept-new"});
  ASSERT_EQ(accepted.exit_code, 0) << accepted.err;
  auto now = json(lines_of(accepted.out).at(0));
  EXPECT_EQ(now["state"].value, "unverified");
  EXPECT_EQ(now["safety_number"].value, trust["new_safety_number"].value);
  const RunResult resumed = cli("alice", {"send", "bob", "after looking"});
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(resumed.err, "");  // accepted: nothing to warn about

  // The real bob cannot read what went to mallory's key: recv says so, loses nothing.
  const RunResult got = cli("bob", {"recv"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_NE(got.out.find("alice: hi"), std::string::npos) << got.out;
  EXPECT_NE(got.err.find("could not be decrypted"), std::string::npos) << got.err;
}

TEST_F(VerifyE2e, AnUnverifiedContactsChangedKeyIsWarnedAboutOnSendAndRecv) {
  ASSERT_OK(register_user("alice"));
  ASSERT_OK(register_user("bob"));
  ASSERT_OK(cli("bob", {"send", "alice", "hi alice"}));  // bob pins alice
  ASSERT_OK(cli("alice", {"send", "bob", "hi bob"}));
  ASSERT_OK(cli("bob", {"recv"}));

  serve_other_keys("alice");
  // Unverified: the message goes out, to the new key, after a warning, and is marked.
  const RunResult sent = cli("bob", {"send", "alice", "are you there?"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_NE(sent.err.find("WARNING: the server now gives another identity key for alice"),
            std::string::npos)
      << sent.err;
  EXPECT_TRUE(matches(sent.out, R"(sent to alice \(id [0-9a-f]{32}\) \[alice's key changed.*\n)"))
      << sent.out;
  const RunResult sent_json = cli("bob", {"--json", "send", "alice", "again"});
  ASSERT_EQ(sent_json.exit_code, 0) << sent_json.err;
  EXPECT_EQ(json(lines_of(sent_json.out).at(0))["key_changed"].value, "true");
  EXPECT_EQ(json(lines_of(sent_json.err).at(0))["code"].value, "identity_changed");
  // The local history keeps the mark.
  const RunResult history = cli("bob", {"history", "alice"});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  EXPECT_NE(history.out.find("are you there? [alice's key changed and is not verified"),
            std::string::npos)
      << history.out;
  EXPECT_EQ(history.out.find("hi alice ["), std::string::npos) << history.out;

  // recv says so too, and still shows what the real alice sealed to bob's pin.
  ASSERT_OK(cli("alice", {"send", "bob", "from the real alice"}));
  const RunResult got = cli("bob", {"recv"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_NE(got.out.find("alice: from the real alice"), std::string::npos) << got.out;
  EXPECT_NE(got.err.find("another identity key for alice"), std::string::npos) << got.err;
}

}  // namespace
}  // namespace fastchat::e2e
