// TestDesk: one fastchat-desktop under test, in this process: its own home dir, a
// ClientBridge and a MainWindow, driven through the widgets (typing, clicking) the
// way a user would. Waits are QTRY_* with bounded timeouts. UI thread only.
#pragma once

#include <QString>
#include <memory>
#include <string>

#include "client_bridge.h"
#include "main_window.h"
#include "support/test_passwords.h"
#include "test_server.h"

namespace fastchat::desktop::test {

// Generous under ASan on two busy cores; every wait ends as soon as its event came.
inline constexpr int kWaitMs = 30000;

// The test password of `user` (support/test_passwords.h), as the login page takes it.
inline QString password_of(const std::string& user) {
  return QString::fromStdString(test_support::test_password(user));
}

class TestDesk {
 public:
  // `server` is "127.0.0.1:PORT". `home` empty: a fresh temporary home.
  // `transport`: --ca-file and --insecure-plaintext.
  explicit TestDesk(const QString& server, const QString& home = {},
                    ClientBridge::Transport transport = {});
  ~TestDesk();

  ClientBridge& bridge() { return *bridge_; }
  MainWindow& window() { return *window_; }
  const QString& home() const { return home_; }

  // Fills the login page and clicks "Create account" or "Log in" (and trusts the
  // server's key if asked to, on first use); true once the chat shows (false with the
  // page's error otherwise).
  bool sign_in(const QString& user, const QString& password, bool create_account);
  // Opens the conversation with `user`, making it if new (as Ctrl+N does).
  void open_chat(const QString& user);
  // Types `text` into the input and presses Enter.
  void type_and_send(const QString& text);
  // Row of the conversation list (source model) titled `title`, or -1.
  int conversation_row(const QString& title) const;
  // True when the open conversation's model has a row whose text is `text`.
  bool shows(const QString& text) const;
  QString login_status() const;

 private:
  std::unique_ptr<itest::TempDir> temp_;
  QString home_;
  std::unique_ptr<ClientBridge> bridge_;
  std::unique_ptr<MainWindow> window_;
};

}  // namespace fastchat::desktop::test
