#include "conversation_delegate.h"

#include <QDate>
#include <QPainter>

#include "conversation_list_model.h"
#include "text_format.h"
#include "theme.h"

namespace fastchat::desktop {

QSize ConversationDelegate::sizeHint(const QStyleOptionViewItem& option, const QModelIndex&) const {
  return QSize(option.rect.width(), 64);
}

void ConversationDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option,
                                 const QModelIndex& index) const {
  using M = ConversationListModel;
  const QPalette& palette = option.palette;
  const bool dark = is_dark(palette);
  painter->save();
  painter->setRenderHint(QPainter::Antialiasing);
  const QRect r = option.rect;
  if (option.state & QStyle::State_Selected) {
    painter->fillRect(r, dark ? QColor(0x2a, 0x39, 0x42) : QColor(0xf0, 0xf2, 0xf5));
  } else if (option.state & QStyle::State_MouseOver) {
    painter->fillRect(r, dark ? QColor(0x20, 0x2c, 0x33) : QColor(0xf5, 0xf6, 0xf6));
  }

  const QString title = index.data(M::kTitleRole).toString();
  const bool group = index.data(M::kIsGroupRole).toBool();
  const QRect avatar(r.left() + 12, r.top() + 10, 44, 44);
  painter->setPen(Qt::NoPen);
  painter->setBrush(QColor::fromHsv(static_cast<int>(qHash(title) % 360), 90, dark ? 150 : 210));
  painter->drawEllipse(avatar);
  QFont big = option.font;
  big.setPointSizeF(option.font.pointSizeF() * 1.3);
  big.setBold(true);
  painter->setFont(big);
  painter->setPen(Qt::white);
  painter->drawText(avatar, Qt::AlignCenter, group ? QStringLiteral("#") : title.left(1).toUpper());
  if (!group) {
    const bool online = index.data(M::kOnlineRole).toBool();
    const QRect dot(avatar.right() - 11, avatar.bottom() - 11, 13, 13);
    painter->setBrush(online ? QColor(0x25, 0xd3, 0x66) : QColor(0x9a, 0xa5, 0xab));
    painter->setPen(QPen(palette.color(QPalette::Base), 2));
    painter->drawEllipse(dot);
  }

  const int left = avatar.right() + 12;
  const int right = r.right() - 12;
  const QColor text = dark ? QColor(0xe9, 0xed, 0xef) : QColor(0x11, 0x1b, 0x21);
  const QColor muted = dark ? QColor(0x8d, 0x9d, 0xa6) : QColor(0x66, 0x77, 0x81);
  QFont small = option.font;
  small.setPointSizeF(option.font.pointSizeF() * 0.85);
  const QFontMetrics small_fm(small);

  const qint64 ms = index.data(M::kTimeRole).toLongLong();
  QString when;
  if (ms > 0) {
    const QDate day = local_day(ms);
    when = day == QDate::currentDate() ? time_label(ms) : day_label(day, QDate::currentDate());
  }
  const int unread = index.data(M::kUnreadRole).toInt();
  painter->setFont(small);
  painter->setPen(unread > 0 ? QColor(0x00, 0xa8, 0x84) : muted);
  const int when_w = small_fm.horizontalAdvance(when);
  painter->drawText(QRect(right - when_w, r.top() + 12, when_w, small_fm.height()), Qt::AlignRight,
                    when);

  QFont bold = option.font;
  bold.setBold(true);
  painter->setFont(bold);
  painter->setPen(text);
  const QFontMetrics bold_fm(bold);
  const QRect title_rect(left, r.top() + 10, right - left - when_w - 8, bold_fm.height());
  painter->drawText(title_rect, Qt::AlignLeft | Qt::AlignVCenter,
                    bold_fm.elidedText(title, Qt::ElideRight, title_rect.width()));

  int badge_w = 0;
  if (unread > 0) {
    const QString count = QString::number(unread);
    badge_w = std::max(20, small_fm.horizontalAdvance(count) + 10);
    const QRect badge(right - badge_w, r.top() + 34, badge_w, 20);
    painter->setPen(Qt::NoPen);
    painter->setBrush(QColor(0x00, 0xa8, 0x84));
    painter->drawRoundedRect(badge, 10, 10);
    painter->setPen(Qt::white);
    painter->setFont(small);
    painter->drawText(badge, Qt::AlignCenter, count);
  }
  painter->setFont(option.font);
  painter->setPen(muted);
  const QFontMetrics fm(option.font);
  const QRect last(left, r.top() + 34, right - left - badge_w - 8, fm.height());
  painter->drawText(
      last, Qt::AlignLeft | Qt::AlignVCenter,
      fm.elidedText(index.data(M::kLastTextRole).toString(), Qt::ElideRight, last.width()));
  painter->restore();
}

}  // namespace fastchat::desktop
