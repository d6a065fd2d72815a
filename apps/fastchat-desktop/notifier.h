// Notifier: desktop notifications and the unread badge. A tray icon (where the
// desktop has a tray) shows a message for each new message in a conversation not in
// view and carries the unread count in its icon; the same count goes to the window
// title. notified() reports each notification (also without a tray, for tests).
//
// Thread safety: UI thread only.
#pragma once

#include <QIcon>
#include <QObject>

class QSystemTrayIcon;

namespace fastchat::desktop {

// The application icon, with `badge` drawn on it when positive.
QIcon app_icon(int badge = 0);

class Notifier : public QObject {
  Q_OBJECT

 public:
  explicit Notifier(QObject* parent = nullptr);

  void notify(const QString& title, const QString& text);
  void set_unread(int total);
  int unread() const { return unread_; }
  bool has_tray() const { return tray_ != nullptr; }

 signals:
  void notified(const QString& title, const QString& text);
  void activated();  // the tray icon or a notification was clicked

 private:
  QSystemTrayIcon* tray_ = nullptr;
  int unread_ = 0;
};

}  // namespace fastchat::desktop
