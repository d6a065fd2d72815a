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
      status_(new QLabel(this)),
      trust_box_(new QWidget(this)),
      trust_text_(new QLabel(trust_box_)),
      trust_(new QPushButton(QStringLiteral("&Trust and continue"), trust_box_)),
      cancel_trust_(new QPushButton(QStringLiteral("Cancel"), trust_box_)),
      changed_box_(new QWidget(this)),
      changed_text_(new QLabel(changed_box_)),
      new_key_(new QLineEdit(changed_box_)),
      trust_new_key_(new QPushButton(QStringLiteral("Trust the new key"), changed_box_)) {
  setObjectName(QStringLiteral("login_page"));
  server_->setObjectName(QStringLiteral("server"));
  username_->setObjectName(QStringLiteral("username"));
  password_->setObjectName(QStringLiteral("password"));
  login_->setObjectName(QStringLiteral("login"));
  register_->setObjectName(QStringLiteral("register"));
  status_->setObjectName(QStringLiteral("status"));
  trust_box_->setObjectName(QStringLiteral("trust_box"));
  trust_text_->setObjectName(QStringLiteral("trust_text"));
  trust_->setObjectName(QStringLiteral("trust"));
  changed_box_->setObjectName(QStringLiteral("changed_box"));
  changed_text_->setObjectName(QStringLiteral("changed_text"));
  new_key_->setObjectName(QStringLiteral("new_key"));
  trust_new_key_->setObjectName(QStringLiteral("trust_new_key"));

  password_->setEchoMode(QLineEdit::Password);
  password_->setInputMethodHints(Qt::ImhHiddenText | Qt::ImhNoPredictiveText |
                                 Qt::ImhSensitiveData);
  server_->setPlaceholderText(QStringLiteral("host:port"));
  username_->setPlaceholderText(QStringLiteral("your username"));
  status_->setWordWrap(true);
  login_->setDefault(true);

  // First use of a server: its fingerprint, to compare before trusting it.
  trust_text_->setWordWrap(true);
  trust_text_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  trust_box_->setStyleSheet(QStringLiteral(
      "QWidget#trust_box{border:1px solid palette(mid); border-radius:6px; padding:4px;}"));
  auto* trust_layout = new QVBoxLayout(trust_box_);
  trust_layout->addWidget(trust_text_);
  auto* trust_buttons = new QHBoxLayout;
  trust_buttons->addStretch();
  trust_buttons->addWidget(cancel_trust_);
  trust_buttons->addWidget(trust_);
  trust_layout->addLayout(trust_buttons);
  trust_box_->hide();

  // A changed key: a hard error, accepted only with the operator's fingerprint.
  changed_text_->setWordWrap(true);
  changed_text_->setTextFormat(Qt::RichText);
  changed_text_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  changed_box_->setStyleSheet(QStringLiteral(
      "QWidget#changed_box{background:#fdecea; border:1px solid #e0645a; border-radius:6px;}"
      "QLabel#changed_text{color:#8a1c12; padding:6px;}"));
  new_key_->setPlaceholderText(QStringLiteral("SHA256:... as the server's operator reads it"));
  auto* changed_layout = new QVBoxLayout(changed_box_);
  changed_layout->addWidget(changed_text_);
  auto* changed_row = new QHBoxLayout;
  changed_row->addWidget(new_key_, 1);
  changed_row->addWidget(trust_new_key_);
  changed_layout->addLayout(changed_row);
  changed_box_->hide();

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
  box->setMaximumWidth(480);
  auto* inner = new QVBoxLayout(box);
  inner->addWidget(title);
  inner->addLayout(form);
  inner->addLayout(buttons);
  inner->addWidget(trust_box_);
  inner->addWidget(changed_box_);
  inner->addWidget(status_);

  auto* outer = new QVBoxLayout(this);
  outer->addStretch(1);
  auto* row = new QHBoxLayout;
  row->addStretch();
  row->addWidget(box);
  row->addStretch();
  outer->addLayout(row);
  outer->addStretch(2);

  connect(login_, &QPushButton::clicked, this, [this] { request(Pending::kLogin); });
  connect(register_, &QPushButton::clicked, this, [this] { request(Pending::kRegister); });
  connect(password_, &QLineEdit::returnPressed, this, [this] { request(Pending::kLogin); });
  connect(server_, &QLineEdit::textEdited, this, [this] { hide_boxes(); });
  connect(trust_, &QPushButton::clicked, this, [this] {
    hide_boxes();
    set_status(QStringLiteral("Trusting %1 ...").arg(check_.address), true);
    bridge_.trust_server(check_.server, check_.fingerprint);
  });
  connect(cancel_trust_, &QPushButton::clicked, this, [this] {
    hide_boxes();
    pending_ = Pending::kNone;
    set_status(QStringLiteral("Not connected: the server's key was not trusted."), false);
  });
  connect(trust_new_key_, &QPushButton::clicked, this, [this] {
    if (new_key_->text().trimmed() != check_.fingerprint) {
      set_status(QStringLiteral("That is not the key the server presents now (%1): still "
                                "refusing it.")
                     .arg(check_.fingerprint),
                 false);
      return;
    }
    hide_boxes();
    set_status(QStringLiteral("Trusting the new key of %1 ...").arg(check_.address), true);
    bridge_.trust_server(check_.server, check_.fingerprint);
  });
  connect(&bridge_, &ClientBridge::server_checked, this, &LoginPage::on_checked);
  connect(&bridge_, &ClientBridge::server_trusted, this, [this](const QString& server) {
    if (server == check_.server && pending_ != Pending::kNone) proceed();
  });
  connect(&bridge_, &ClientBridge::sign_in_failed, this, [this](const QString& error) {
    pending_ = Pending::kNone;
    set_status(error, false);
  });
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

void LoginPage::hide_boxes() {
  trust_box_->hide();
  changed_box_->hide();
  new_key_->clear();
}

void LoginPage::resume(const QString& user) {
  set_username(user);
  request(Pending::kResume);
}

void LoginPage::request(Pending what) {
  if (what != Pending::kResume && (server().isEmpty() || username_->text().trimmed().isEmpty() ||
                                   password_->text().isEmpty())) {
    set_status(QStringLiteral("Enter the server, a username and a password."), false);
    return;
  }
  hide_boxes();
  pending_ = what;
  set_status(QStringLiteral("Checking the key of %1 ...").arg(server()), true);
  bridge_.check_server(server());
}

void LoginPage::on_checked(const ServerCheck& check) {
  if (pending_ == Pending::kNone || check.server != server()) return;  // stale
  check_ = check;
  switch (check.verdict) {
    case ServerCheck::Verdict::kTrusted:
      proceed();
      return;
    case ServerCheck::Verdict::kUnknown:
      trust_text_->setText(
          QStringLiteral("<b>First connection to %1.</b><br>Its key fingerprint is<br>"
                         "<tt>%2</tt><br>Compare it with the one the server's operator gives "
                         "you (<tt>fastchat-server --print-fingerprint</tt>). Trust it only if "
                         "they match: it is remembered, and a different key is refused later.")
              .arg(check.address.toHtmlEscaped(), check.fingerprint.toHtmlEscaped()));
      set_status({}, false);
      trust_box_->show();
      trust_->setFocus();
      return;
    case ServerCheck::Verdict::kChanged:
      changed_text_->setText(changed_key_message(check, bridge_.home_dir()));
      set_status(QStringLiteral("Refused: the server's key changed."), false);
      changed_box_->show();
      new_key_->setFocus();
      return;
    case ServerCheck::Verdict::kFailed:
      pending_ = Pending::kNone;
      set_status(check.error, false);
      return;
  }
}

void LoginPage::proceed() {
  const Pending what = pending_;
  pending_ = Pending::kNone;
  switch (what) {
    case Pending::kNone:
      return;
    case Pending::kResume:
      set_status(QStringLiteral("Resuming the session of %1 ...").arg(username_->text()), true);
      bridge_.resume(server());
      return;
    case Pending::kLogin:
    case Pending::kRegister: {
      const QString user = username_->text().trimmed();
      if (password_->text().isEmpty()) {
        set_status(QStringLiteral("Enter the password again."), false);
        return;
      }
      QString password = password_->text();
      password_->clear();
      const bool create = what == Pending::kRegister;
      set_status(
          create ? QStringLiteral("Creating the account ...") : QStringLiteral("Logging in ..."),
          true);
      bridge_.sign_in(server(), user, std::move(password), create);
      return;
    }
  }
}

}  // namespace fastchat::desktop
