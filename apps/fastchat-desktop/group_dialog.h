// GroupDialog: a group's members and their roles; admins add and remove members;
// anyone can leave. Kept current from the bridge's group_updated. Esc closes it.
//
// Thread safety: UI thread only.
#pragma once

#include <QDialog>

#include "conversation_key.h"

class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;

namespace fastchat::desktop {

class ClientBridge;

class GroupDialog : public QDialog {
  Q_OBJECT

 public:
  GroupDialog(ClientBridge& bridge, quint64 group, QWidget* parent = nullptr);

  QListWidget* members() const { return members_; }
  QLineEdit* add_field() const { return add_field_; }
  QPushButton* add_button() const { return add_; }
  QPushButton* remove_button() const { return remove_; }
  QPushButton* leave_button() const { return leave_; }

 private:
  void show_group(const client::GroupInfo& group);

  ClientBridge& bridge_;
  quint64 group_;
  bool admin_ = false;
  QLabel* title_;
  QListWidget* members_;
  QLineEdit* add_field_;
  QPushButton* add_;
  QPushButton* remove_;
  QPushButton* leave_;
};

}  // namespace fastchat::desktop
