// LoginPage: the first screen: server address, username and password, "Log in" and
// "Create account". Before a password goes anywhere the server's key is checked
// (server_check.h): a key never seen is shown with its fingerprint for the user to
// trust on first use; a key that changed is a hard error that says what to do, and
// is accepted only when the user pastes the fingerprint the operator gave them. The
// password field never echoes and is cleared as soon as it is submitted; the bridge
// wipes its copy after use.
//
// Thread safety: UI thread only.
#pragma once

#include <QWidget>

#include "server_check.h"

class QLabel;
class QLineEdit;
class QPushButton;

namespace fastchat::desktop {

class ClientBridge;

class LoginPage : public QWidget {
  Q_OBJECT

 public:
  LoginPage(ClientBridge& bridge, QWidget* parent = nullptr);

  void set_server(const QString& server);
  QString server() const;
  void set_username(const QString& username);
  // Shows `text` under the form (an error, or "Resuming ..."), and whether a request runs.
  void set_status(const QString& text, bool busy);
  // Checks the server's key, then resumes the saved session of `user`.
  void resume(const QString& user);

  QLineEdit* server_field() const { return server_; }
  QLineEdit* username_field() const { return username_; }
  QLineEdit* password_field() const { return password_; }
  QPushButton* login_button() const { return login_; }
  QPushButton* register_button() const { return register_; }
  // First use: the fingerprint to compare, "Trust and continue" and "Cancel".
  QWidget* trust_box() const { return trust_box_; }
  QLabel* trust_text() const { return trust_text_; }
  QPushButton* trust_button() const { return trust_; }
  QPushButton* cancel_trust_button() const { return cancel_trust_; }
  // A changed key: the hard error, the operator's fingerprint and "Trust the new key".
  QWidget* changed_box() const { return changed_box_; }
  QLabel* changed_text() const { return changed_text_; }
  QLineEdit* new_key_field() const { return new_key_; }
  QPushButton* trust_new_key_button() const { return trust_new_key_; }

 private:
  enum class Pending { kNone, kLogin, kRegister, kResume };

  void request(Pending what);
  void on_checked(const ServerCheck& check);
  // The server is trusted: do what was asked.
  void proceed();
  void hide_boxes();

  ClientBridge& bridge_;
  QLineEdit* server_;
  QLineEdit* username_;
  QLineEdit* password_;
  QPushButton* login_;
  QPushButton* register_;
  QLabel* status_;
  QWidget* trust_box_;
  QLabel* trust_text_;
  QPushButton* trust_;
  QPushButton* cancel_trust_;
  QWidget* changed_box_;
  QLabel* changed_text_;
  QLineEdit* new_key_;
  QPushButton* trust_new_key_;
  Pending pending_ = Pending::kNone;
  ServerCheck check_;  // the last answer, for the trust buttons
};

}  // namespace fastchat::desktop
