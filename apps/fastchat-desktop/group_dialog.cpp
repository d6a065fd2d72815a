#include "group_dialog.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPushButton>
#include <QVBoxLayout>

#include "client_bridge.h"

namespace fastchat::desktop {

GroupDialog::GroupDialog(ClientBridge& bridge, quint64 group, QWidget* parent)
    : QDialog(parent),
      bridge_(bridge),
      group_(group),
      title_(new QLabel(this)),
      members_(new QListWidget(this)),
      add_field_(new QLineEdit(this)),
      add_(new QPushButton(QStringLiteral("&Add"), this)),
      remove_(new QPushButton(QStringLiteral("&Remove selected"), this)),
      leave_(new QPushButton(QStringLiteral("&Leave group"), this)) {
  setObjectName(QStringLiteral("group_dialog"));
  setWindowTitle(QStringLiteral("Group members"));
  add_field_->setPlaceholderText(QStringLiteral("username to add"));
  auto* add_row = new QHBoxLayout;
  add_row->addWidget(add_field_);
  add_row->addWidget(add_);
  auto* bottom = new QHBoxLayout;
  bottom->addWidget(remove_);
  bottom->addStretch();
  bottom->addWidget(leave_);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(title_);
  layout->addWidget(members_);
  layout->addLayout(add_row);
  layout->addLayout(bottom);
  resize(380, 420);

  connect(&bridge_, &ClientBridge::group_updated, this, [this](const client::GroupInfo& info) {
    if (info.id == group_) show_group(info);
  });
  connect(&bridge_, &ClientBridge::group_left, this, [this](quint64 id) {
    if (id == group_) accept();
  });
  connect(add_, &QPushButton::clicked, this, [this] {
    const QString user = add_field_->text().trimmed().toLower();
    if (user.isEmpty()) return;
    add_field_->clear();
    bridge_.add_member(group_, user);
  });
  connect(add_field_, &QLineEdit::returnPressed, add_, &QPushButton::click);
  connect(remove_, &QPushButton::clicked, this, [this] {
    const auto* item = members_->currentItem();
    if (item != nullptr) bridge_.remove_member(group_, item->data(Qt::UserRole).toString());
  });
  connect(leave_, &QPushButton::clicked, this, [this] { bridge_.leave_group(group_); });
  admin_ = false;
  add_->setEnabled(false);
  remove_->setEnabled(false);
  add_field_->setEnabled(false);
  bridge_.load_group(group_);
}

void GroupDialog::show_group(const client::GroupInfo& group) {
  title_->setText(QStringLiteral("<b>%1</b> · %2 members")
                      .arg(QString::fromStdString(group.name).toHtmlEscaped())
                      .arg(group.members.size()));
  members_->clear();
  admin_ = false;
  for (const auto& member : group.members) {
    const QString name = QString::fromStdString(member.username);
    if (name == bridge_.username()) admin_ = member.admin;
    auto* item =
        new QListWidgetItem(name + (member.admin ? QStringLiteral("  (admin)") : QString()));
    item->setData(Qt::UserRole, name);
    members_->addItem(item);
  }
  add_->setEnabled(admin_);
  remove_->setEnabled(admin_);
  add_field_->setEnabled(admin_);
}

}  // namespace fastchat::desktop
