// NewChatDialog (Ctrl+N): pick a user to talk to, from the server's directory as you
// type; NewGroupDialog: a group name and its first members. Esc closes either.
//
// Thread safety: UI thread only.
#pragma once

#include <QDialog>

class QLineEdit;
class QListWidget;

namespace fastchat::desktop {

class ClientBridge;

class NewChatDialog : public QDialog {
  Q_OBJECT

 public:
  NewChatDialog(ClientBridge& bridge, QWidget* parent = nullptr);
  // The chosen username (after accept()).
  QString username() const;
  QLineEdit* field() const { return field_; }

 private:
  ClientBridge& bridge_;
  QLineEdit* field_;
  QListWidget* matches_;
};

class NewGroupDialog : public QDialog {
  Q_OBJECT

 public:
  explicit NewGroupDialog(QWidget* parent = nullptr);
  QString name() const;
  QStringList members() const;  // from "alice, bob carol"
  QLineEdit* name_field() const { return name_; }
  QLineEdit* members_field() const { return members_; }

 private:
  QLineEdit* name_;
  QLineEdit* members_;
};

}  // namespace fastchat::desktop
