#include "conversation_list_model.h"

#include <QDateTime>

namespace fastchat::desktop {

ConversationListModel::ConversationListModel(ClientBridge& bridge, QObject* parent)
    : QAbstractListModel(parent), bridge_(bridge), unread_store_(bridge.home_dir()) {
  connect(&bridge_, &ClientBridge::conversations_loaded, this, &ConversationListModel::on_loaded);
  connect(&bridge_, &ClientBridge::message_received, this, &ConversationListModel::on_message);
  connect(&bridge_, &ClientBridge::message_sent, this, &ConversationListModel::on_sent);
  connect(&bridge_, &ClientBridge::group_updated, this, &ConversationListModel::on_group);
  connect(&bridge_, &ClientBridge::groups_loaded, this, &ConversationListModel::on_groups);
  connect(&bridge_, &ClientBridge::group_left, this, &ConversationListModel::on_group_left);
  connect(&bridge_, &ClientBridge::presence_changed, this, &ConversationListModel::on_presence);
  save_timer_.setSingleShot(true);
  save_timer_.setInterval(kSaveDelayMs);
  connect(&save_timer_, &QTimer::timeout, this, &ConversationListModel::save_unread);
  connect(&bridge_, &ClientBridge::signed_in, this, [this](const QString& user) {
    unread_user_ = user;
    saved_unread_ = unread_store_.load(user);
    bool any = false;
    for (int row = 0; row < static_cast<int>(entries_.size()); ++row) {
      Entry& entry = entries_[static_cast<std::size_t>(row)];
      entry.unread += saved_unread_.take(UnreadStore::name_of(entry.key));
      any = any || entry.unread > 0;
    }
    if (any) emit dataChanged(index(0), index(rowCount() - 1), {kUnreadRole});
    emit unread_changed(total_unread());
  });
  connect(&bridge_, &ClientBridge::signed_out, this, [this] {
    if (save_timer_.isActive()) save_unread();
    unread_user_.clear();
    beginResetModel();
    entries_.clear();
    current_ = {};
    saved_unread_.clear();
    endResetModel();
    emit unread_changed(0);
  });
}

ConversationListModel::~ConversationListModel() {
  if (save_timer_.isActive()) save_unread();
}

void ConversationListModel::unread_changed_now() {
  if (!save_timer_.isActive()) save_timer_.start();
  emit unread_changed(total_unread());
}

void ConversationListModel::save_unread() {
  save_timer_.stop();
  QHash<QString, int> counts = saved_unread_;
  for (const auto& entry : entries_) {
    if (entry.unread > 0) counts.insert(UnreadStore::name_of(entry.key), entry.unread);
  }
  unread_store_.save(unread_user_, counts);
}

QString ConversationListModel::preview(const client::ChatMessage& message) {
  QString text = message.file_name.empty()
                     ? QString::fromStdString(message.text)
                     // Words, not a paperclip emoji: Debian's default fonts have none.
                     : QStringLiteral("File: ") + QString::fromStdString(message.file_name);
  text.replace(QLatin1Char('\n'), QLatin1Char(' '));
  if (message.group_id != 0 && !message.outgoing) {
    text = QString::fromStdString(message.sender) + QStringLiteral(": ") + text;
  } else if (message.outgoing) {
    text = QStringLiteral("You: ") + text;
  }
  return text;
}

int ConversationListModel::row_of(const ConversationKey& key) const {
  for (int row = 0; row < static_cast<int>(entries_.size()); ++row) {
    if (entries_[static_cast<std::size_t>(row)].key == key) return row;
  }
  return -1;
}

ConversationKey ConversationListModel::key_at(int row) const {
  if (row < 0 || row >= static_cast<int>(entries_.size())) return {};
  return entries_[static_cast<std::size_t>(row)].key;
}

QString ConversationListModel::title_of(const ConversationKey& key) const {
  const int row = row_of(key);
  if (row >= 0) return entries_[static_cast<std::size_t>(row)].title;
  return key.is_group() ? QStringLiteral("#%1").arg(key.group) : key.peer;
}

int ConversationListModel::ensure(const ConversationKey& key, const QString& title) {
  int row = row_of(key);
  if (row >= 0) {
    Entry& entry = entries_[static_cast<std::size_t>(row)];
    if (!title.isEmpty() && entry.title != title) {
      entry.title = title;
      emit dataChanged(index(row), index(row));
    }
    return row;
  }
  Entry entry;
  entry.key = key;
  entry.title = !title.isEmpty() ? title
                : key.is_group() ? QStringLiteral("#%1").arg(key.group)
                                 : key.peer;
  entry.last_ms = QDateTime::currentMSecsSinceEpoch();
  entry.unread = saved_unread_.take(UnreadStore::name_of(key));
  const bool had_unread = entry.unread > 0;
  row = 0;  // newly made: the most recent
  beginInsertRows({}, row, row);
  entries_.insert(entries_.begin(), std::move(entry));
  endInsertRows();
  emit conversation_added(key);
  if (had_unread) emit unread_changed(total_unread());
  return row;
}

void ConversationListModel::move_to_sorted_place(int row) {
  const qint64 ms = entries_[static_cast<std::size_t>(row)].last_ms;
  // Its place among the others (which are sorted): after every more recent one.
  int dest = 0;
  for (int other = 0; other < static_cast<int>(entries_.size()); ++other) {
    if (other != row && entries_[static_cast<std::size_t>(other)].last_ms > ms) ++dest;
  }
  if (dest == row) return;
  beginMoveRows({}, row, row, {}, dest > row ? dest + 1 : dest);
  Entry entry = std::move(entries_[static_cast<std::size_t>(row)]);
  entries_.erase(entries_.begin() + row);
  entries_.insert(entries_.begin() + dest, std::move(entry));
  endMoveRows();
}

void ConversationListModel::touch(const client::ChatMessage& message, bool unread) {
  const ConversationKey key = ConversationKey::of(message);
  const int row = ensure(key);
  Entry& entry = entries_[static_cast<std::size_t>(row)];
  entry.last_text = preview(message);
  const qint64 ms = message.server_time_ms != 0 ? message.server_time_ms : message.sent_at_ms;
  entry.last_ms = std::max(entry.last_ms, ms);
  if (unread) {
    ++entry.unread;
  }
  emit dataChanged(index(row), index(row));
  move_to_sorted_place(row);
  if (unread) unread_changed_now();
}

void ConversationListModel::on_loaded(const MessageList& latest) {
  for (const auto& message : latest) {
    const ConversationKey key = ConversationKey::of(message);
    const int row = ensure(key);
    Entry& entry = entries_[static_cast<std::size_t>(row)];
    entry.last_text = preview(message);
    entry.last_ms = message.server_time_ms != 0 ? message.server_time_ms : message.sent_at_ms;
    emit dataChanged(index(row), index(row));
    move_to_sorted_place(row);
  }
}

void ConversationListModel::on_message(const client::ChatMessage& message) {
  touch(message, !(ConversationKey::of(message) == current_));
}

void ConversationListModel::on_sent(quint64, const client::ChatMessage& message) {
  touch(message, false);
}

void ConversationListModel::on_group(const client::GroupInfo& group) {
  ensure(ConversationKey::group_id(group.id), QString::fromStdString(group.name));
}

void ConversationListModel::on_groups(const GroupList& groups) {
  for (const auto& group : groups)
    on_group(group);
}

void ConversationListModel::on_group_left(quint64 group) {
  const int row = row_of(ConversationKey::group_id(group));
  if (row < 0) return;
  beginRemoveRows({}, row, row);
  entries_.erase(entries_.begin() + row);
  endRemoveRows();
  unread_changed_now();
}

void ConversationListModel::on_presence(const QString& user, bool online) {
  const int row = row_of(ConversationKey::user(user));
  if (row < 0) return;
  entries_[static_cast<std::size_t>(row)].online = online;
  emit dataChanged(index(row), index(row), {kOnlineRole});
}

void ConversationListModel::set_current(const ConversationKey& key) {
  current_ = key;
  const int row = row_of(key);
  if (row < 0) return;
  Entry& entry = entries_[static_cast<std::size_t>(row)];
  if (entry.unread == 0) return;
  entry.unread = 0;
  emit dataChanged(index(row), index(row), {kUnreadRole});
  unread_changed_now();
}

int ConversationListModel::total_unread() const {
  int total = 0;
  for (const auto& entry : entries_)
    total += entry.unread;
  return total;
}

QStringList ConversationListModel::direct_peers() const {
  QStringList peers;
  for (const auto& entry : entries_) {
    if (!entry.key.is_group()) peers << entry.key.peer;
  }
  return peers;
}

int ConversationListModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(entries_.size());
}

QVariant ConversationListModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= static_cast<int>(entries_.size())) return {};
  const Entry& entry = entries_[static_cast<std::size_t>(index.row())];
  switch (role) {
    case kTitleRole:
      return entry.title;
    case kLastTextRole:
      return entry.last_text;
    case kTimeRole:
      return entry.last_ms;
    case kUnreadRole:
      return entry.unread;
    case kOnlineRole:
      return entry.online;
    case kIsGroupRole:
      return entry.key.is_group();
    case kKeyRole:
      return QVariant::fromValue(entry.key);
    default:
      return {};
  }
}

}  // namespace fastchat::desktop
