#include "notifier.h"

#include <QPainter>
#include <QPixmap>
#include <QSystemTrayIcon>

namespace fastchat::desktop {

QIcon app_icon(int badge) {
  QPixmap pixmap(64, 64);
  pixmap.fill(Qt::transparent);
  QPainter p(&pixmap);
  p.setRenderHint(QPainter::Antialiasing);
  p.setPen(Qt::NoPen);
  p.setBrush(QColor(0x00, 0xa8, 0x84));
  p.drawEllipse(QRect(2, 2, 60, 60));
  p.setBrush(Qt::white);
  p.drawRoundedRect(QRect(14, 18, 36, 24), 8, 8);
  QPolygon tail;
  tail << QPoint(20, 40) << QPoint(18, 50) << QPoint(30, 41);
  p.drawPolygon(tail);
  if (badge > 0) {
    p.setBrush(QColor(0xe0, 0x24, 0x24));
    p.drawEllipse(QRect(34, 0, 30, 30));
    p.setPen(Qt::white);
    QFont font = p.font();
    font.setBold(true);
    font.setPixelSize(badge > 9 ? 14 : 18);
    p.setFont(font);
    p.drawText(QRect(34, 0, 30, 30), Qt::AlignCenter,
               badge > 99 ? QStringLiteral("99+") : QString::number(badge));
  }
  p.end();
  return QIcon(pixmap);
}

Notifier::Notifier(QObject* parent) : QObject(parent) {
  if (QSystemTrayIcon::isSystemTrayAvailable()) {
    tray_ = new QSystemTrayIcon(app_icon(), this);
    tray_->setToolTip(QStringLiteral("fastchat"));
    tray_->show();
    connect(tray_, &QSystemTrayIcon::activated, this, [this] { emit activated(); });
    connect(tray_, &QSystemTrayIcon::messageClicked, this, [this] { emit activated(); });
  }
}

void Notifier::notify(const QString& title, const QString& text) {
  if (tray_ != nullptr) tray_->showMessage(title, text, app_icon(), 5000);
  emit notified(title, text);
}

void Notifier::set_unread(int total) {
  if (total == unread_) return;
  unread_ = total;
  if (tray_ != nullptr) {
    tray_->setIcon(app_icon(total));
    tray_->setToolTip(total > 0 ? QStringLiteral("fastchat: %1 unread").arg(total)
                                : QStringLiteral("fastchat"));
  }
}

}  // namespace fastchat::desktop
