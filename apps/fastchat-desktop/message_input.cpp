#include "message_input.h"

#include <QKeyEvent>
#include <QMimeData>
#include <QUrl>

namespace fastchat::desktop {

QStringList local_files(const QMimeData* mime) {
  QStringList paths;
  if (mime == nullptr || !mime->hasUrls()) return paths;
  for (const QUrl& url : mime->urls()) {
    if (url.isLocalFile()) paths << url.toLocalFile();
  }
  return paths;
}

MessageInput::MessageInput(QWidget* parent) : QPlainTextEdit(parent) {
  setPlaceholderText(QStringLiteral("Type a message  (Enter sends, Shift+Enter: new line)"));
  setTabChangesFocus(true);
  connect(this, &QPlainTextEdit::textChanged, this, &MessageInput::adjust_height);
  adjust_height();
}

QSize MessageInput::sizeHint() const {
  return QSize(400, fontMetrics().lineSpacing() + 16);
}

void MessageInput::adjust_height() {
  const int lines = std::clamp(static_cast<int>(document()->lineCount()), 1, 6);
  setFixedHeight(fontMetrics().lineSpacing() * lines + 16);
}

bool MessageInput::event(QEvent* event) {
  // The window's Ctrl shortcuts win over the text editor's own bindings (on X11,
  // Ctrl+K would delete to the end of the line).
  if (event->type() == QEvent::ShortcutOverride) {
    const auto* key = static_cast<QKeyEvent*>(event);
    const bool ours = key->key() == Qt::Key_K || key->key() == Qt::Key_N ||
                      key->key() == Qt::Key_I || key->key() == Qt::Key_O || key->key() == Qt::Key_Q;
    if ((key->modifiers() & Qt::ControlModifier) && ours) {
      event->ignore();
      return true;
    }
  }
  return QPlainTextEdit::event(event);
}

void MessageInput::keyPressEvent(QKeyEvent* event) {
  const bool enter = event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter;
  if (enter && !(event->modifiers() & Qt::ShiftModifier)) {
    const QString text = toPlainText().trimmed();
    if (!text.isEmpty()) {
      clear();
      emit submitted(text);
    }
    event->accept();
    return;
  }
  if (enter) {
    insertPlainText(QStringLiteral("\n"));
    event->accept();
    return;
  }
  QPlainTextEdit::keyPressEvent(event);
}

bool MessageInput::canInsertFromMimeData(const QMimeData* source) const {
  return source->hasImage() || !local_files(source).isEmpty() ||
         QPlainTextEdit::canInsertFromMimeData(source);
}

void MessageInput::insertFromMimeData(const QMimeData* source) {
  if (const QStringList files = local_files(source); !files.isEmpty()) {
    emit files_dropped(files);
    return;
  }
  if (source->hasImage()) {
    const QImage image = qvariant_cast<QImage>(source->imageData());
    if (!image.isNull()) emit image_pasted(image);
    return;
  }
  QPlainTextEdit::insertFromMimeData(source);
}

}  // namespace fastchat::desktop
