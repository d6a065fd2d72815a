// MainWindow: the login page, then the chat: the conversation list with its search
// box on the left, the open conversation on the right (header with presence, safety
// number or members; the messages; the input with its attach button). Keyboard
// first: Ctrl+K jumps to a conversation, Ctrl+N starts a chat, Ctrl+Shift+N a group,
// Ctrl+O attaches a file, Ctrl+I shows the safety number or the members.
//
// Thread safety: UI thread only. Talks to the client core only through ClientBridge.
#pragma once

#include <QHash>
#include <QMainWindow>
#include <QSet>

#include "conversation_key.h"

class QLabel;
class QLineEdit;
class QListView;
class QPushButton;
class QSortFilterProxyModel;
class QStackedWidget;
class QToolButton;

namespace fastchat::desktop {

class ClientBridge;
class ConversationListModel;
class LoginPage;
class MessageDelegate;
class MessageInput;
class MessageListModel;
class Notifier;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  MainWindow(ClientBridge& bridge, const QString& server, QWidget* parent = nullptr);
  ~MainWindow() override;

  // Resumes the saved session if there is one, else shows the login page.
  void start();
  void open_conversation(const ConversationKey& key);
  const ConversationKey& current() const { return current_; }
  // Sends files (paths) to the conversation in view.
  void send_files(const QStringList& paths);
  void send_image(const QImage& image);

  // For tests and screenshots.
  LoginPage* login_page() const { return login_; }
  ConversationListModel* conversations() const { return conversations_; }
  QSortFilterProxyModel* filtered_conversations() const { return filter_; }
  MessageListModel* messages() const { return messages_; }
  MessageInput* input() const { return input_; }
  QLineEdit* search() const { return search_; }
  QListView* conversation_view() const { return conversation_view_; }
  QListView* message_view() const { return message_view_; }
  Notifier* notifier() const { return notifier_; }
  QLabel* identity_banner() const { return banner_; }
  QLabel* fingerprint_label() const { return fingerprint_; }
  bool chat_shown() const;

  void new_chat();
  void new_group();
  void show_info();
  void attach_file();

 protected:
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;
  bool eventFilter(QObject* watched, QEvent* event) override;
  // A palette change (the scheme followed the system): the message pane's background.
  void changeEvent(QEvent* event) override;

 private:
  QWidget* build_chat_page();
  void build_menu();
  void set_message_background();
  void on_signed_in(const QString& username);
  void on_message(const client::ChatMessage& message);
  void on_identity_changed(const QString& user, const QString& fingerprint);
  void update_header();
  void update_title();
  void submit(const QString& text);
  void show_error(const QString& text);
  void open_filtered_row(int row);
  void show_message_menu(const QPoint& pos);

  ClientBridge& bridge_;
  QString server_;
  ConversationKey current_;
  QSet<QString> identity_changed_;
  QSet<QString> online_;
  QHash<quint64, int> group_sizes_;  // members per group, as last loaded

  QStackedWidget* pages_;
  LoginPage* login_;
  ConversationListModel* conversations_;
  QSortFilterProxyModel* filter_;
  MessageListModel* messages_;
  MessageDelegate* message_delegate_;
  Notifier* notifier_;
  QLineEdit* search_ = nullptr;
  QListView* conversation_view_ = nullptr;
  QListView* message_view_ = nullptr;
  QLabel* title_ = nullptr;
  QLabel* subtitle_ = nullptr;
  QLabel* banner_ = nullptr;
  QLabel* fingerprint_ = nullptr;
  QPushButton* info_ = nullptr;
  QToolButton* attach_ = nullptr;
  MessageInput* input_ = nullptr;
  QWidget* conversation_pane_ = nullptr;
  QWidget* empty_pane_ = nullptr;
};

}  // namespace fastchat::desktop
