#include "login_page.h"

#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

#include "client_bridge.h"

namespace fastchat::desktop {

LoginPage::LoginPage(ClientBridge& bridge, QWidget* parent)
    : QWidget(parent),
      bridge_(bridge),
      server_(new QLineEdit(this)),
      username_(new QLineEdit(this)),
      password_(new QLineEdit(this)),
      login_(new QPushButton(QStringLiteral("Log in"), this)),
      register_(new QPushButton(QStringLiteral("Create account"), this)),
      status_(new QLabel(this)) {
  setObjectName(QStringLiteral("login_page"));
  server_->setObjectName(QStringLiteral("server"));
  username_->setObjectName(QStringLiteral("username"));
  password_->setObjectName(QStringLiteral("password"));
  login_->setObjectName(QStringLiteral("login"));
  register_->setObjectName(QStringLiteral("register"));
  status_->setObjectName(QStringLiteral("status"));

  password_->setEchoMode(QLineEdit::Password);
  password_->setInputMethodHints(Qt::ImhHiddenText | Qt::ImhNoPredictiveText |
                                 Qt::ImhSensitiveData);
  server_->setPlaceholderText(QStringLiteral("host:port"));
  username_->setPlaceholderText(QStringLiteral("your username"));
  status_->setWordWrap(true);
  login_->setDefault(true);

  auto* title = new QLabel(QStringLiteral("<h1>fastchat</h1>"
                                          "<p>End-to-end encrypted chat. Your password never "
                                          "leaves this computer.</p>"),
                           this);
  title->setWordWrap(true);
  auto* form = new QFormLayout;
  form->addRow(QStringLiteral("&Server"), server_);
  form->addRow(QStringLiteral("&Username"), username_);
  form->addRow(QStringLiteral("&Password"), password_);
  auto* buttons = new QHBoxLayout;
  buttons->addStretch();
  buttons->addWidget(register_);
  buttons->addWidget(login_);

  auto* box = new QWidget(this);
  box->setMaximumWidth(420);
  auto* inner = new QVBoxLayout(box);
  inner->addWidget(title);
  inner->addLayout(form);
  inner->addLayout(buttons);
  inner->addWidget(status_);

  auto* outer = new QVBoxLayout(this);
  outer->addStretch(1);
  auto* row = new QHBoxLayout;
  row->addStretch();
  row->addWidget(box);
  row->addStretch();
  outer->addLayout(row);
  outer->addStretch(2);

  connect(login_, &QPushButton::clicked, this, [this] { submit(false); });
  connect(register_, &QPushButton::clicked, this, [this] { submit(true); });
  connect(password_, &QLineEdit::returnPressed, this, [this] { submit(false); });
  connect(&bridge_, &ClientBridge::sign_in_failed, this,
          [this](const QString& error) { set_status(error, false); });
}

void LoginPage::set_server(const QString& server) {
  server_->setText(server);
}

QString LoginPage::server() const {
  return server_->text().trimmed();
}

void LoginPage::set_username(const QString& username) {
  username_->setText(username);
  if (!username.isEmpty()) password_->setFocus();
}

void LoginPage::set_status(const QString& text, bool busy) {
  status_->setText(text);
  for (QWidget* w : {static_cast<QWidget*>(server_), static_cast<QWidget*>(username_),
                     static_cast<QWidget*>(password_), static_cast<QWidget*>(login_),
                     static_cast<QWidget*>(register_)}) {
    w->setEnabled(!busy);
  }
  if (!busy) password_->setFocus();
}

void LoginPage::submit(bool create_account) {
  const QString user = username_->text().trimmed();
  if (server().isEmpty() || user.isEmpty() || password_->text().isEmpty()) {
    set_status(QStringLiteral("Enter the server, a username and a password."), false);
    return;
  }
  QString password = password_->text();
  password_->clear();
  set_status(create_account ? QStringLiteral("Creating the account ...")
                            : QStringLiteral("Logging in ..."),
             true);
  bridge_.sign_in(server(), user, std::move(password), create_account);
}

}  // namespace fastchat::desktop
