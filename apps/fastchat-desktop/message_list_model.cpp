#include "message_list_model.h"

#include <QDateTime>
#include <QFileInfo>
#include <QImageReader>

#include "text_format.h"

namespace fastchat::desktop {

MessageListModel::MessageListModel(ClientBridge& bridge, QObject* parent)
    : QAbstractListModel(parent), bridge_(bridge) {
  connect(&bridge_, &ClientBridge::history_loaded, this, &MessageListModel::on_history);
  connect(&bridge_, &ClientBridge::message_received, this, &MessageListModel::on_message);
  connect(&bridge_, &ClientBridge::message_sent, this, &MessageListModel::on_sent);
  connect(&bridge_, &ClientBridge::send_failed, this, &MessageListModel::on_send_failed);
  connect(&bridge_, &ClientBridge::file_progress, this, &MessageListModel::on_progress);
  connect(&bridge_, &ClientBridge::delivered, this, &MessageListModel::on_delivered);
}

void MessageListModel::on_delivered(const QString& message_id, const QString&) {
  const std::string hex = message_id.toStdString();
  for (int row = static_cast<int>(items_.size()) - 1; row >= 0; --row) {
    Item& item = items_[static_cast<std::size_t>(row)];
    if (!item.message.outgoing || item.state != State::kStored || item.message.id.to_hex() != hex)
      continue;
    ++item.message.delivered_to;
    emit dataChanged(index(row), index(row), {kDeliveredRole, kStateLabelRole});
    return;
  }
}

void MessageListModel::open(const ConversationKey& key) {
  beginResetModel();
  key_ = key;
  items_.clear();
  ids_.clear();
  stored_ = 0;
  requested_skip_ = 0;
  at_start_ = !key.valid();
  loading_ = key.valid();
  endResetModel();
  if (key.valid()) bridge_.load_history(key, kPageSize, 0);
}

void MessageListModel::on_history(const ConversationKey& key, int skip_newest,
                                  const MessageList& page) {
  if (!(key == key_) || !loading_ || skip_newest != requested_skip_) return;  // stale
  loading_ = false;
  at_start_ = static_cast<int>(page.size()) < kPageSize;
  // Messages that arrived while the page was read (and are in it too) show once.
  std::vector<Item> older;
  older.reserve(page.size());
  for (const auto& message : page) {
    if (!remember(message)) continue;
    Item item;
    item.message = message;
    older.push_back(std::move(item));
  }
  if (older.empty()) {
    emit page_loaded(skip_newest > 0);
    return;
  }
  const int count = static_cast<int>(older.size());
  beginInsertRows({}, 0, count - 1);
  items_.insert(items_.begin(), std::make_move_iterator(older.begin()),
                std::make_move_iterator(older.end()));
  stored_ += count;
  endInsertRows();
  // The row after the page may have lost its day separator.
  if (count < static_cast<int>(items_.size())) {
    emit dataChanged(index(count), index(count), {kDaySeparatorRole});
  }
  emit page_loaded(skip_newest > 0);
}

bool MessageListModel::can_fetch_older() const {
  return key_.valid() && !at_start_ && !loading_;
}

void MessageListModel::fetch_older() {
  if (!can_fetch_older()) return;
  loading_ = true;
  requested_skip_ = stored_;
  bridge_.load_history(key_, kPageSize, stored_);
}

void MessageListModel::append(Item item) {
  const int row = static_cast<int>(items_.size());
  beginInsertRows({}, row, row);
  items_.push_back(std::move(item));
  endInsertRows();
}

bool MessageListModel::remember(const client::ChatMessage& message) {
  return message.id.is_zero() || ids_.insert(message.id).second;
}

void MessageListModel::on_message(const client::ChatMessage& message) {
  if (!(ConversationKey::of(message) == key_) || !remember(message)) return;
  // A finished incoming file replaces its progress row.
  if (!message.file_name.empty()) {
    for (int row = 0; row < static_cast<int>(items_.size()); ++row) {
      Item& item = items_[static_cast<std::size_t>(row)];
      if (item.state == State::kTransferring && !item.message.outgoing &&
          item.message.sender == message.sender && item.message.file_name == message.file_name) {
        item = Item{};
        item.message = message;
        ++stored_;
        emit dataChanged(index(row), index(row));
        return;
      }
    }
  }
  Item item;
  item.message = message;
  ++stored_;
  append(std::move(item));
}

void MessageListModel::add_pending_text(quint64 tag, const QString& text) {
  Item item;
  item.state = State::kSending;
  item.tag = tag;
  item.message.text = text.toStdString();
  item.message.outgoing = true;
  item.message.sender = bridge_.username().toStdString();
  item.message.sent_at_ms = QDateTime::currentMSecsSinceEpoch();
  append(std::move(item));
}

void MessageListModel::add_pending_file(quint64 tag, const QString& path) {
  const QFileInfo info(path);
  Item item;
  item.state = State::kSending;
  item.tag = tag;
  item.message.outgoing = true;
  item.message.sender = bridge_.username().toStdString();
  item.message.sent_at_ms = QDateTime::currentMSecsSinceEpoch();
  item.message.file_name = info.fileName().toStdString();
  item.message.file_path = path.toStdString();
  item.message.file_size = static_cast<std::uint64_t>(info.size());
  item.total = item.message.file_size;
  append(std::move(item));
}

int MessageListModel::find_tag(quint64 tag) const {
  for (int row = 0; row < static_cast<int>(items_.size()); ++row) {
    if (items_[static_cast<std::size_t>(row)].tag == tag) return row;
  }
  return -1;
}

void MessageListModel::on_sent(quint64 tag, const client::ChatMessage& message) {
  const int row = find_tag(tag);
  if (row < 0) return;       // sent from another conversation's view
  if (!remember(message)) {  // a page read meanwhile shows it already
    beginRemoveRows({}, row, row);
    items_.erase(items_.begin() + row);
    endRemoveRows();
    return;
  }
  Item& item = items_[static_cast<std::size_t>(row)];
  item = Item{};
  item.message = message;
  ++stored_;
  emit dataChanged(index(row), index(row));
}

void MessageListModel::on_send_failed(quint64 tag, const QString& error) {
  const int row = find_tag(tag);
  if (row < 0) return;
  Item& item = items_[static_cast<std::size_t>(row)];
  item.state = State::kFailed;
  item.error = error;
  emit dataChanged(index(row), index(row));
}

void MessageListModel::on_progress(const client::FileProgress& progress) {
  const ConversationKey of = progress.group_id != 0
                                 ? ConversationKey::group_id(progress.group_id)
                                 : ConversationKey::user(QString::fromStdString(progress.peer));
  if (!(of == key_)) return;
  const QString id = QString::fromStdString(progress.transfer_id);
  for (int row = static_cast<int>(items_.size()) - 1; row >= 0; --row) {
    Item& item = items_[static_cast<std::size_t>(row)];
    const bool same = item.transfer_id == id;
    const bool pending_send = progress.outgoing && item.state == State::kSending &&
                              item.transfer_id.isEmpty() && item.message.outgoing &&
                              item.message.file_name == progress.file_name;
    if (same || pending_send) {
      item.transfer_id = id;
      item.done = progress.done_bytes;
      item.total = progress.total_bytes;
      emit dataChanged(index(row), index(row), {kProgressRole, kStateLabelRole});
      return;
    }
  }
  if (progress.outgoing) return;  // a send started in another window or before opening
  Item item;
  item.state = State::kTransferring;
  item.transfer_id = id;
  item.done = progress.done_bytes;
  item.total = progress.total_bytes;
  item.message.sender = progress.sender;
  item.message.peer = progress.peer;
  item.message.group_id = progress.group_id;
  item.message.file_name = progress.file_name;
  item.message.file_size = progress.total_bytes;
  item.message.sent_at_ms = QDateTime::currentMSecsSinceEpoch();
  append(std::move(item));
}

qint64 MessageListModel::time_of(const Item& item) {
  return item.message.server_time_ms != 0 ? item.message.server_time_ms : item.message.sent_at_ms;
}

bool MessageListModel::first_of_day(int row) const {
  if (row == 0) return true;
  return local_day(time_of(items_[static_cast<std::size_t>(row)])) !=
         local_day(time_of(items_[static_cast<std::size_t>(row - 1)]));
}

int MessageListModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(items_.size());
}

QVariant MessageListModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= static_cast<int>(items_.size())) return {};
  const Item& item = items_[static_cast<std::size_t>(index.row())];
  const client::ChatMessage& m = item.message;
  const QString file_name = QString::fromStdString(m.file_name);
  switch (role) {
    case kTextRole:
      return m.file_name.empty() ? QString::fromStdString(m.text) : file_name;
    case kHtmlRole:
      return linkify(QString::fromStdString(m.text));
    case kSenderRole:
      return QString::fromStdString(m.sender);
    case kTimeRole:
      return time_of(item);
    case kOutgoingRole:
      return m.outgoing;
    case kStateRole:
      return static_cast<int>(item.state);
    case kStateLabelRole:
      switch (item.state) {
        case State::kSending:
          if (item.total > 0 && !m.file_name.empty()) {
            return QStringLiteral("sending %1 %").arg(item.done * 100 / item.total);
          }
          return QStringLiteral("sending");
        case State::kStored:
          if (!m.outgoing) return QString();
          if (m.delivered_to == 0) return QStringLiteral("sent");
          if (m.group_id == 0) return QStringLiteral("delivered");
          return QStringLiteral("delivered to %1").arg(m.delivered_to);
        case State::kFailed:
          return QStringLiteral("not sent: ") + item.error;
        case State::kTransferring:
          return QStringLiteral("receiving %1 %")
              .arg(item.total ? item.done * 100 / item.total : 0);
      }
      return {};
    case kFileNameRole:
      return file_name;
    case kFilePathRole:
      return QString::fromStdString(m.file_path);
    case kFileSizeRole:
      return static_cast<quint64>(m.file_size);
    case kIsImageRole:
      return !m.file_name.empty() && is_image_name(file_name);
    case kThumbnailRole: {
      if (m.file_path.empty() || !is_image_name(file_name)) return {};
      if (!item.thumbnail_tried) {
        item.thumbnail_tried = true;
        QImageReader reader(QString::fromStdString(m.file_path));
        reader.setAutoTransform(true);
        QSize size = reader.size();
        if (size.isValid()) {
          size.scale(QSize(kThumbnailSize, kThumbnailSize).boundedTo(size), Qt::KeepAspectRatio);
          reader.setScaledSize(size);
        }
        item.thumbnail = reader.read();
      }
      return item.thumbnail.isNull() ? QVariant() : QVariant(item.thumbnail);
    }
    case kProgressRole:
      if ((item.state == State::kSending || item.state == State::kTransferring) &&
          !m.file_name.empty() && item.total > 0) {
        return static_cast<double>(item.done) / static_cast<double>(item.total);
      }
      return -1.0;
    case kDaySeparatorRole:
      return first_of_day(index.row()) ? day_label(local_day(time_of(item)), QDate::currentDate())
                                       : QString();
    case kShowSenderRole:
      return m.group_id != 0 && !m.outgoing;
    case kDeliveredRole:
      return static_cast<int>(m.delivered_to);
    default:
      return {};
  }
}

QHash<int, QByteArray> MessageListModel::roleNames() const {
  return {{kTextRole, "text"},         {kHtmlRole, "html"},         {kSenderRole, "sender"},
          {kTimeRole, "time"},         {kOutgoingRole, "outgoing"}, {kStateRole, "state"},
          {kFileNameRole, "fileName"}, {kFilePathRole, "filePath"}, {kIsImageRole, "isImage"},
          {kProgressRole, "progress"}, {kDaySeparatorRole, "day"}};
}

}  // namespace fastchat::desktop
