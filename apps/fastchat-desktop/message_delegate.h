// MessageDelegate: paints a MessageListModel row as a chat bubble (sender, text with
// links, inline image or file card, transfer progress, time and delivery state), with
// a day separator above the first message of a day. Clicks on links and files are
// reported as signals.
//
// Thread safety: UI thread only.
#pragma once

#include <QHash>
#include <QStyledItemDelegate>
#include <QUrl>

class QTextDocument;

namespace fastchat::desktop {

class MessageDelegate : public QStyledItemDelegate {
  Q_OBJECT

 public:
  using QStyledItemDelegate::QStyledItemDelegate;

  void paint(QPainter* painter, const QStyleOptionViewItem& option,
             const QModelIndex& index) const override;
  QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;
  bool editorEvent(QEvent* event, QAbstractItemModel* model, const QStyleOptionViewItem& option,
                   const QModelIndex& index) override;

 signals:
  void link_activated(const QUrl& url);
  void file_activated(const QString& path);

 private:
  struct Layout {
    QRect day;  // the day separator (empty when none)
    QRect bubble;
    QRect sender;    // empty unless shown
    QRect content;   // text, image or file card
    QRect progress;  // empty unless transferring
    QRect footer;
    int height = 0;
  };
  // `document` receives the message's HTML when the row is text.
  Layout layout(const QStyleOptionViewItem& option, const QModelIndex& index,
                QTextDocument& document) const;

  // Row heights by what decides them (text, file, thumbnail, separators, width): a
  // view lays out every row again when rows are inserted above, and laying out rich
  // text for each would make scrolling back through a long history stutter.
  static constexpr int kMaxCachedHeights = 20000;
  mutable QHash<QString, int> heights_;
};

}  // namespace fastchat::desktop
