// MessageListModel: the messages of the conversation in view, for a QListView. The
// newest page comes from the local history when a conversation opens; older pages
// are loaded lazily (fetch_older) as the user scrolls up, so a long conversation
// opens at the cost of one page. (Not canFetchMore/fetchMore: QAbstractItemView calls
// those at the bottom of a view, and older messages sit at its top.) New, pending and in-transfer
// messages are added as the bridge reports them.
//
// Thread safety: UI thread only (it lives with the ClientBridge it reads from).
#pragma once

#include <QAbstractListModel>
#include <QImage>
#include <QString>
#include <unordered_set>
#include <vector>

#include "client_bridge.h"
#include "conversation_key.h"

namespace fastchat::desktop {

class MessageListModel : public QAbstractListModel {
  Q_OBJECT

 public:
  static constexpr int kPageSize = 100;
  static constexpr int kThumbnailSize = 240;  // longest side of an inline image, pixels

  // kStored: durably stored on the server (SendOk); an outgoing message's label then
  // says "delivered" once a recipient's client confirmed storing it (kDeliveredRole).
  enum class State { kSending, kStored, kFailed, kTransferring };
  enum Role {
    kTextRole = Qt::DisplayRole,
    kHtmlRole = Qt::UserRole + 1,  // text as safe HTML with links
    kSenderRole,
    kTimeRole,  // ms since the epoch
    kOutgoingRole,
    kStateRole,       // State as int
    kStateLabelRole,  // "sending", "sent", "failed: ...", "45 %"
    kFileNameRole,
    kFilePathRole,
    kFileSizeRole,
    kIsImageRole,
    kThumbnailRole,     // QImage, for images that are on disk
    kProgressRole,      // 0..1 while transferring, else -1
    kDaySeparatorRole,  // "Today", ... on the first message of a day, else empty
    kShowSenderRole,    // group messages from others show who wrote them
    kDeliveredRole,     // outgoing: how many recipients' clients stored it
  };

  MessageListModel(ClientBridge& bridge, QObject* parent = nullptr);

  // Shows `key` (empty key: nothing) and loads its newest page.
  void open(const ConversationKey& key);
  const ConversationKey& conversation() const { return key_; }
  // True while a page of history is being read.
  bool loading() const { return loading_; }
  bool can_fetch_older() const;
  // Asks for the page before the oldest message shown; page_loaded(true) follows.
  void fetch_older();

  // A message being sent: shown at once as "sending" until message_sent/send_failed.
  void add_pending_text(quint64 tag, const QString& text);
  void add_pending_file(quint64 tag, const QString& path);

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QHash<int, QByteArray> roleNames() const override;

 signals:
  // A page of history arrived (`older` false for the first one).
  void page_loaded(bool older);

 private:
  struct Item {
    client::ChatMessage message;
    State state = State::kStored;
    quint64 tag = 0;      // pending sends
    QString transfer_id;  // transfers in progress
    quint64 done = 0;
    quint64 total = 0;
    QString error;
    mutable QImage thumbnail;  // loaded on first use
    mutable bool thumbnail_tried = false;
  };

  void on_history(const ConversationKey& key, int skip_newest, const MessageList& page);
  void on_message(const client::ChatMessage& message);
  void on_sent(quint64 tag, const client::ChatMessage& message);
  void on_send_failed(quint64 tag, const QString& error);
  void on_progress(const client::FileProgress& progress);
  void on_delivered(const QString& message_id, const QString& recipient);
  void append(Item item);
  // Records a stored message's id; false when it is shown already.
  bool remember(const client::ChatMessage& message);
  int find_tag(quint64 tag) const;
  bool first_of_day(int row) const;
  static qint64 time_of(const Item& item);

  ClientBridge& bridge_;
  ConversationKey key_;
  std::vector<Item> items_;
  int stored_ = 0;  // items that are in the local history (the paging offset)
  // Ids shown: a message that arrives while a page is read is in both; shown once.
  std::unordered_set<MessageId> ids_;
  int requested_skip_ = 0;  // the skip_newest of the page being read
  bool loading_ = false;
  bool at_start_ = true;  // no older history left
};

}  // namespace fastchat::desktop
