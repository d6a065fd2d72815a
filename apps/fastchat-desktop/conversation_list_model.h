// ConversationListModel: every conversation (1:1 and groups) with its last message,
// time, unread count and presence, most recently active first. Filled from the local
// history (ClientBridge::load_conversations) and the user's groups, then kept current
// from the bridge's signals. Unread counts survive restarts (UnreadStore). A QSortFilterProxyModel
// on kTitleRole filters it by name.
//
// Thread safety: UI thread only.
#pragma once

#include <QAbstractListModel>
#include <QString>
#include <QTimer>
#include <vector>

#include "client_bridge.h"
#include "conversation_key.h"
#include "unread_store.h"

namespace fastchat::desktop {

class ConversationListModel : public QAbstractListModel {
  Q_OBJECT

 public:
  enum Role {
    kTitleRole = Qt::DisplayRole,
    kLastTextRole = Qt::UserRole + 1,
    kTimeRole,
    kUnreadRole,
    kOnlineRole,
    kIsGroupRole,
    kKeyRole,  // QVariant of ConversationKey
  };

  // Unread counts are written at most this often (a burst of messages writes once).
  static constexpr int kSaveDelayMs = 300;

  explicit ConversationListModel(ClientBridge& bridge, QObject* parent = nullptr);
  ~ConversationListModel() override;  // writes unread counts not yet written

  // The conversation shown in the window: its messages are read as they arrive.
  void set_current(const ConversationKey& key);
  // Adds `key` (a new chat or group) if missing; its row.
  int ensure(const ConversationKey& key, const QString& title = {});
  int row_of(const ConversationKey& key) const;
  ConversationKey key_at(int row) const;
  QString title_of(const ConversationKey& key) const;
  int total_unread() const;
  // The users of the direct conversations (to watch their presence).
  QStringList direct_peers() const;

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;

 signals:
  void unread_changed(int total);
  // A conversation appeared (a first message, a new chat or group).
  void conversation_added(const fastchat::desktop::ConversationKey& key);

 private:
  struct Entry {
    ConversationKey key;
    QString title;
    QString last_text;
    qint64 last_ms = 0;
    int unread = 0;
    bool online = false;
  };

  void on_loaded(const MessageList& latest);
  void on_message(const client::ChatMessage& message);
  void on_sent(quint64 tag, const client::ChatMessage& message);
  void on_group(const client::GroupInfo& group);
  void on_groups(const GroupList& groups);
  void on_group_left(quint64 group);
  void on_presence(const QString& user, bool online);
  // Records `message` as the newest of its conversation and moves it to the top.
  void touch(const client::ChatMessage& message, bool unread);
  void move_to_sorted_place(int row);
  static QString preview(const client::ChatMessage& message);
  // Tells the window the total and schedules writing the counts.
  void unread_changed_now();
  void save_unread();

  ClientBridge& bridge_;
  std::vector<Entry> entries_;
  ConversationKey current_;
  UnreadStore unread_store_;
  QHash<QString, int> saved_unread_;  // as loaded at sign-in, for conversations not yet listed
  QString unread_user_;               // whose counts these are
  QTimer save_timer_;
};

}  // namespace fastchat::desktop
