#include "new_chat_dialog.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QRegularExpression>
#include <QVBoxLayout>

#include "client_bridge.h"

namespace fastchat::desktop {

NewChatDialog::NewChatDialog(ClientBridge& bridge, QWidget* parent)
    : QDialog(parent),
      bridge_(bridge),
      field_(new QLineEdit(this)),
      matches_(new QListWidget(this)) {
  setWindowTitle(QStringLiteral("New chat"));
  setObjectName(QStringLiteral("new_chat_dialog"));
  field_->setPlaceholderText(QStringLiteral("username"));
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
  buttons->button(QDialogButtonBox::Ok)->setText(QStringLiteral("Chat"));
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(new QLabel(QStringLiteral("Who do you want to write to?"), this));
  layout->addWidget(field_);
  layout->addWidget(matches_);
  layout->addWidget(buttons);
  resize(360, 320);

  connect(buttons, &QDialogButtonBox::accepted, this, [this] {
    if (!username().isEmpty()) accept();
  });
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  connect(field_, &QLineEdit::textEdited, this, [this](const QString& text) {
    if (!text.trimmed().isEmpty()) bridge_.list_users(text.trimmed());
  });
  connect(&bridge_, &ClientBridge::users_listed, this,
          [this](const QString& pattern, const UserList& users) {
            if (pattern != field_->text().trimmed()) return;
            matches_->clear();
            for (const auto& user : users) {
              const QString name = QString::fromStdString(user.username);
              if (name == bridge_.username()) continue;
              matches_->addItem(name + (user.online ? QStringLiteral("  ● online") : QString()));
              matches_->item(matches_->count() - 1)->setData(Qt::UserRole, name);
            }
          });
  connect(matches_, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) {
    field_->setText(item->data(Qt::UserRole).toString());
    accept();
  });
  connect(matches_, &QListWidget::currentItemChanged, this, [this](QListWidgetItem* item) {
    if (item != nullptr) field_->setText(item->data(Qt::UserRole).toString());
  });
}

QString NewChatDialog::username() const {
  return field_->text().trimmed().toLower();
}

NewGroupDialog::NewGroupDialog(QWidget* parent)
    : QDialog(parent), name_(new QLineEdit(this)), members_(new QLineEdit(this)) {
  setWindowTitle(QStringLiteral("New group"));
  setObjectName(QStringLiteral("new_group_dialog"));
  name_->setPlaceholderText(QStringLiteral("group name"));
  members_->setPlaceholderText(QStringLiteral("alice, bob"));
  auto* form = new QFormLayout;
  form->addRow(QStringLiteral("&Name"), name_);
  form->addRow(QStringLiteral("&Members"), members_);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
  buttons->button(QDialogButtonBox::Ok)->setText(QStringLiteral("Create"));
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addWidget(buttons);
  connect(buttons, &QDialogButtonBox::accepted, this, [this] {
    if (!name().isEmpty()) accept();
  });
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

QString NewGroupDialog::name() const {
  return name_->text().trimmed();
}

QStringList NewGroupDialog::members() const {
  static const QRegularExpression kSeparators(QStringLiteral("[,;\\s]+"));
  return members_->text().toLower().split(kSeparators, Qt::SkipEmptyParts);
}

}  // namespace fastchat::desktop
