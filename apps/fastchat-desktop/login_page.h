// LoginPage: the first screen: server address, username and password, "Log in" and
// "Create account". The password field never echoes and is cleared as soon as it is
// submitted; the bridge wipes its copy after use.
//
// Thread safety: UI thread only.
#pragma once

#include <QWidget>

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

  QLineEdit* server_field() const { return server_; }
  QLineEdit* username_field() const { return username_; }
  QLineEdit* password_field() const { return password_; }
  QPushButton* login_button() const { return login_; }
  QPushButton* register_button() const { return register_; }

 private:
  void submit(bool create_account);

  ClientBridge& bridge_;
  QLineEdit* server_;
  QLineEdit* username_;
  QLineEdit* password_;
  QPushButton* login_;
  QPushButton* register_;
  QLabel* status_;
};

}  // namespace fastchat::desktop
