#include "message_delegate.h"

#include <QAbstractTextDocumentLayout>
#include <QApplication>
#include <QFileInfo>
#include <QImage>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QTextDocument>
#include <algorithm>
#include <cmath>

#include "message_list_model.h"
#include "text_format.h"
#include "theme.h"

namespace fastchat::desktop {
namespace {

constexpr int kMargin = 8;
constexpr int kPadding = 9;
constexpr int kDayHeight = 30;
constexpr int kProgressHeight = 6;
constexpr int kFileCardHeight = 44;
constexpr int kMaxBubbleWidth = 560;

QFont small_font(const QFont& base) {
  QFont font = base;
  font.setPointSizeF(base.pointSizeF() > 0 ? base.pointSizeF() * 0.8 : 8);
  return font;
}

}  // namespace

MessageDelegate::Layout MessageDelegate::layout(const QStyleOptionViewItem& option,
                                                const QModelIndex& index,
                                                QTextDocument& document) const {
  using M = MessageListModel;
  Layout l;
  const QRect row = option.rect;
  int y = row.top() + 2;
  if (!index.data(M::kDaySeparatorRole).toString().isEmpty()) {
    l.day = QRect(row.left(), y, row.width(), kDayHeight);
    y += kDayHeight;
  }
  const bool outgoing = index.data(M::kOutgoingRole).toBool();
  const int max_bubble = std::min(kMaxBubbleWidth, row.width() * 3 / 4);
  const int max_content = std::max(80, max_bubble - 2 * kPadding);
  const QFontMetrics small(small_font(option.font));
  const QFontMetrics normal(option.font);

  int content_w = 0;
  int content_h = 0;
  const QString file_name = index.data(M::kFileNameRole).toString();
  const QImage thumbnail = index.data(M::kThumbnailRole).value<QImage>();
  if (!thumbnail.isNull()) {
    const QSize size = thumbnail.size().boundedTo(QSize(max_content, max_content));
    content_w = size.width();
    content_h = size.height();
  } else if (!file_name.isEmpty()) {
    content_w = std::min(max_content, std::max(200, normal.horizontalAdvance(file_name) + 56));
    content_h = kFileCardHeight;
  } else {
    document.setDefaultFont(option.font);
    document.setDocumentMargin(0);
    document.setHtml(index.data(M::kHtmlRole).toString());
    document.setTextWidth(max_content);
    content_w = std::min(max_content, static_cast<int>(std::ceil(document.idealWidth())) + 1);
    document.setTextWidth(content_w);
    content_h = static_cast<int>(std::ceil(document.size().height()));
  }

  const bool show_sender = index.data(M::kShowSenderRole).toBool();
  const QString footer_text = time_label(index.data(M::kTimeRole).toLongLong()) + "  " +
                              index.data(M::kStateLabelRole).toString();
  const int footer_w = small.horizontalAdvance(footer_text);
  const int sender_w =
      show_sender ? normal.horizontalAdvance(index.data(M::kSenderRole).toString()) : 0;
  const bool transferring = index.data(M::kProgressRole).toDouble() >= 0;
  const int inner_w = std::max({content_w, footer_w, sender_w, transferring ? 160 : 0});

  int inner_h = content_h + small.height() + 4;
  if (show_sender) inner_h += normal.height() + 2;
  if (transferring) inner_h += kProgressHeight + 6;
  const int bubble_w = inner_w + 2 * kPadding;
  const int bubble_h = inner_h + 2 * kPadding;
  const int x = outgoing ? row.right() - kMargin - bubble_w : row.left() + kMargin;
  l.bubble = QRect(x, y + 3, bubble_w, bubble_h);
  int cy = l.bubble.top() + kPadding;
  const int cx = l.bubble.left() + kPadding;
  if (show_sender) {
    l.sender = QRect(cx, cy, inner_w, normal.height());
    cy += normal.height() + 2;
  }
  l.content = QRect(cx, cy, content_w, content_h);
  cy += content_h;
  if (transferring) {
    l.progress = QRect(cx, cy + 4, inner_w, kProgressHeight);
    cy += kProgressHeight + 6;
  }
  l.footer = QRect(cx, cy + 4, inner_w, small.height());
  l.height = (l.bubble.bottom() - row.top()) + 6;
  return l;
}

QSize MessageDelegate::sizeHint(const QStyleOptionViewItem& option,
                                const QModelIndex& index) const {
  QStyleOptionViewItem opt = option;
  opt.rect = QRect(0, 0, std::max(200, option.rect.width()), 0);
  if (const auto* view = qobject_cast<const QWidget*>(option.widget)) {
    opt.rect.setWidth(std::max(200, view->width() - 24));
  }
  using M = MessageListModel;
  const QImage thumbnail = index.data(M::kThumbnailRole).value<QImage>();
  const QString key = QStringLiteral("%1|%2|%3|%4|%5|%6|%7x%8|")
                          .arg(opt.rect.width())
                          .arg(index.data(M::kDaySeparatorRole).toString().isEmpty())
                          .arg(index.data(M::kShowSenderRole).toBool())
                          .arg(index.data(M::kOutgoingRole).toBool())
                          .arg(index.data(M::kProgressRole).toDouble() >= 0)
                          .arg(index.data(M::kFileNameRole).toString())
                          .arg(thumbnail.width())
                          .arg(thumbnail.height()) +
                      index.data(M::kHtmlRole).toString();
  if (const auto it = heights_.constFind(key); it != heights_.cend()) {
    return QSize(opt.rect.width(), *it);
  }
  QTextDocument document;
  const int height = layout(opt, index, document).height;
  if (heights_.size() >= kMaxCachedHeights) heights_.clear();
  heights_.insert(key, height);
  return QSize(opt.rect.width(), height);
}

void MessageDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option,
                            const QModelIndex& index) const {
  using M = MessageListModel;
  QTextDocument document;
  const Layout l = layout(option, index, document);
  const QPalette& palette = option.palette;
  const bool dark = is_dark(palette);
  const bool outgoing = index.data(M::kOutgoingRole).toBool();
  painter->save();
  painter->setRenderHint(QPainter::Antialiasing);

  if (!l.day.isEmpty()) {
    const QString label = index.data(M::kDaySeparatorRole).toString();
    const QFontMetrics fm(small_font(option.font));
    QRect pill(0, 0, fm.horizontalAdvance(label) + 20, fm.height() + 8);
    pill.moveCenter(l.day.center());
    painter->setPen(Qt::NoPen);
    painter->setBrush(dark ? QColor(0x2a, 0x33, 0x3c) : QColor(0xe1, 0xf0, 0xfa));
    painter->drawRoundedRect(pill, pill.height() / 2.0, pill.height() / 2.0);
    painter->setFont(small_font(option.font));
    painter->setPen(dark ? QColor(0xc0, 0xc8, 0xd0) : QColor(0x4a, 0x5a, 0x6a));
    painter->drawText(pill, Qt::AlignCenter, label);
  }

  const auto state = static_cast<M::State>(index.data(M::kStateRole).toInt());
  QColor bubble = outgoing ? (dark ? QColor(0x00, 0x5c, 0x4b) : QColor(0xd9, 0xfd, 0xd3))
                           : (dark ? QColor(0x20, 0x2c, 0x33) : QColor(Qt::white));
  if (state == M::State::kFailed)
    bubble = dark ? QColor(0x5c, 0x20, 0x20) : QColor(0xfd, 0xe0, 0xe0);
  if (option.state & QStyle::State_Selected) bubble = bubble.darker(110);
  painter->setPen(Qt::NoPen);
  painter->setBrush(bubble);
  painter->drawRoundedRect(l.bubble, 10, 10);

  const QColor text_color = dark ? QColor(0xe9, 0xed, 0xef) : QColor(0x11, 0x1b, 0x21);
  const QColor muted = dark ? QColor(0x8d, 0x9d, 0xa6) : QColor(0x66, 0x77, 0x81);
  if (!l.sender.isEmpty()) {
    QFont bold = option.font;
    bold.setBold(true);
    painter->setFont(bold);
    const QString sender = index.data(M::kSenderRole).toString();
    painter->setPen(QColor::fromHsv(static_cast<int>(qHash(sender) % 360), 160, dark ? 230 : 170));
    painter->drawText(l.sender, Qt::AlignLeft | Qt::AlignVCenter, sender);
  }

  const QString file_name = index.data(M::kFileNameRole).toString();
  const QImage thumbnail = index.data(M::kThumbnailRole).value<QImage>();
  if (!thumbnail.isNull()) {
    QPainterPath clip;
    clip.addRoundedRect(l.content, 6, 6);
    painter->setClipPath(clip);
    painter->drawImage(l.content, thumbnail);
    painter->setClipping(false);
  } else if (!file_name.isEmpty()) {
    const QRect icon(l.content.left(), l.content.top() + 4, 36, 36);
    painter->setBrush(dark ? QColor(0x37, 0x47, 0x52) : QColor(0xe8, 0xee, 0xf2));
    painter->drawRoundedRect(icon, 6, 6);
    painter->setPen(muted);
    painter->drawText(icon, Qt::AlignCenter, QFileInfo(file_name).suffix().left(4).toUpper());
    const QRect text(icon.right() + 10, l.content.top(), l.content.right() - icon.right() - 10,
                     l.content.height());
    painter->setPen(text_color);
    painter->setFont(option.font);
    const QFontMetrics fm(option.font);
    painter->drawText(text.adjusted(0, 4, 0, 0), Qt::AlignLeft | Qt::AlignTop,
                      fm.elidedText(file_name, Qt::ElideMiddle, text.width()));
    painter->setPen(muted);
    painter->setFont(small_font(option.font));
    painter->drawText(text.adjusted(0, 0, 0, -4), Qt::AlignLeft | Qt::AlignBottom,
                      human_size(index.data(M::kFileSizeRole).toULongLong()));
  } else {
    painter->translate(l.content.topLeft());
    QAbstractTextDocumentLayout::PaintContext context;
    context.palette.setColor(QPalette::Text, text_color);
    context.palette.setColor(QPalette::Link,
                             dark ? QColor(0x53, 0xbd, 0xeb) : QColor(0x02, 0x7e, 0xb5));
    document.documentLayout()->draw(painter, context);
    painter->translate(-l.content.topLeft());
  }

  if (!l.progress.isEmpty()) {
    const double progress = std::clamp(index.data(M::kProgressRole).toDouble(), 0.0, 1.0);
    painter->setPen(Qt::NoPen);
    painter->setBrush(dark ? QColor(0x37, 0x47, 0x52) : QColor(0xd0, 0xd8, 0xdc));
    painter->drawRoundedRect(l.progress, 3, 3);
    QRect done = l.progress;
    done.setWidth(static_cast<int>(l.progress.width() * progress));
    painter->setBrush(QColor(0x00, 0xa8, 0x84));
    painter->drawRoundedRect(done, 3, 3);
  }

  painter->setFont(small_font(option.font));
  painter->setPen(state == M::State::kFailed ? QColor(0xd0, 0x30, 0x30) : muted);
  QString footer = time_label(index.data(M::kTimeRole).toLongLong());
  const QString state_label = index.data(M::kStateLabelRole).toString();
  if (!state_label.isEmpty()) footer += "  " + state_label;
  painter->drawText(l.footer, Qt::AlignRight | Qt::AlignVCenter, footer);
  painter->restore();
}

bool MessageDelegate::editorEvent(QEvent* event, QAbstractItemModel* model,
                                  const QStyleOptionViewItem& option, const QModelIndex& index) {
  if (event->type() != QEvent::MouseButtonRelease) {
    return QStyledItemDelegate::editorEvent(event, model, option, index);
  }
  const auto* mouse = static_cast<QMouseEvent*>(event);
  if (mouse->button() != Qt::LeftButton) return false;
  QTextDocument document;
  const Layout l = layout(option, index, document);
  const QPoint pos = mouse->position().toPoint();
  if (!l.content.contains(pos)) return false;
  const QString path = index.data(MessageListModel::kFilePathRole).toString();
  if (!index.data(MessageListModel::kFileNameRole).toString().isEmpty()) {
    if (!path.isEmpty()) emit file_activated(path);
    return true;
  }
  const QString anchor = document.documentLayout()->anchorAt(pos - l.content.topLeft());
  if (anchor.isEmpty()) return false;
  emit link_activated(QUrl(anchor));
  return true;
}

}  // namespace fastchat::desktop
