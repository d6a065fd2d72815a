// MessageInput: the multi-line box where a message is written. Enter sends,
// Shift+Enter starts a new line; pasted or dropped images and files are handed over
// as files to send instead of being inserted as text.
//
// Thread safety: UI thread only.
#pragma once

#include <QImage>
#include <QPlainTextEdit>
#include <QStringList>

namespace fastchat::desktop {

class MessageInput : public QPlainTextEdit {
  Q_OBJECT

 public:
  explicit MessageInput(QWidget* parent = nullptr);

  QSize sizeHint() const override;

 signals:
  // The text to send (not empty; surrounding blank lines removed). The box is cleared.
  void submitted(const QString& text);
  void files_dropped(const QStringList& paths);
  void image_pasted(const QImage& image);

 protected:
  bool event(QEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;
  bool canInsertFromMimeData(const QMimeData* source) const override;
  void insertFromMimeData(const QMimeData* source) override;

 private:
  void adjust_height();
};

// Local files among the URLs of `mime` (drag and drop, paste).
QStringList local_files(const QMimeData* mime);

}  // namespace fastchat::desktop
