// ConversationDelegate: paints a ConversationListModel row: an avatar with a presence
// dot (users) or a '#' (groups), the name, the last message, its time and the unread
// count.
//
// Thread safety: UI thread only.
#pragma once

#include <QStyledItemDelegate>

namespace fastchat::desktop {

class ConversationDelegate : public QStyledItemDelegate {
  Q_OBJECT

 public:
  using QStyledItemDelegate::QStyledItemDelegate;

  void paint(QPainter* painter, const QStyleOptionViewItem& option,
             const QModelIndex& index) const override;
  QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;
};

}  // namespace fastchat::desktop
