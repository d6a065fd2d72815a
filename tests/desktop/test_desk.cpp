#include "test_desk.h"

#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTest>

#include "conversation_list_model.h"
#include "login_page.h"
#include "message_input.h"
#include "message_list_model.h"

namespace fastchat::desktop::test {

TestDesk::TestDesk(const QString& server, const QString& home, ClientBridge::Transport transport) {
  if (home.isEmpty()) {
    temp_ = std::make_unique<itest::TempDir>();
    home_ = QString::fromStdString(temp_->path());
  } else {
    home_ = home;
  }
  bridge_ = std::make_unique<ClientBridge>(home_, std::move(transport));
  window_ = std::make_unique<MainWindow>(*bridge_, server);
  window_->show();
  window_->start();
}

TestDesk::~TestDesk() {
  window_.reset();
  bridge_.reset();  // stops the client thread before the home dir goes
}

bool TestDesk::sign_in(const QString& user, const QString& password, bool create_account) {
  LoginPage* page = window_->login_page();
  page->username_field()->setText(user);
  page->password_field()->setText(password);
  QTest::mouseClick(create_account ? page->register_button() : page->login_button(),
                    Qt::LeftButton);
  const auto settled = [&] {
    return QTest::qWaitFor(
        [&] {
          return window_->chat_shown() || page->trust_box()->isVisible() ||
                 page->changed_box()->isVisible() || page->login_button()->isEnabled();
        },
        kWaitMs);
  };
  if (!settled()) return false;
  if (page->trust_box()->isVisible()) {
    // First use of this server in this home: trust the key it shows.
    QTest::mouseClick(page->trust_button(), Qt::LeftButton);
    if (!settled()) return false;
  }
  // The password field is cleared as soon as the password is submitted.
  return window_->chat_shown() && page->password_field()->text().isEmpty();
}

void TestDesk::open_chat(const QString& user) {
  window_->conversations()->ensure(ConversationKey::user(user));
  window_->open_conversation(ConversationKey::user(user));
}

void TestDesk::type_and_send(const QString& text) {
  MessageInput* input = window_->input();
  input->setFocus();
  bool ascii = true;
  for (const QChar c : text)
    ascii = ascii && c.unicode() < 0x80;
  if (ascii) {
    QTest::keyClicks(input, text);
  } else {
    input->insertPlainText(text);  // QTest types Latin-1 only; this is what an IME does
  }
  QTest::keyClick(input, Qt::Key_Return);
}

int TestDesk::conversation_row(const QString& title) const {
  auto* model = window_->conversations();
  for (int row = 0; row < model->rowCount(); ++row) {
    if (model->index(row).data(ConversationListModel::kTitleRole).toString() == title) return row;
  }
  return -1;
}

bool TestDesk::shows(const QString& text) const {
  auto* model = window_->messages();
  for (int row = 0; row < model->rowCount(); ++row) {
    if (model->index(row).data(MessageListModel::kTextRole).toString() == text) return true;
  }
  return false;
}

QString TestDesk::login_status() const {
  return window_->login_page()->findChild<QLabel*>(QStringLiteral("status"))->text();
}

}  // namespace fastchat::desktop::test
