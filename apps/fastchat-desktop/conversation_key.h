// ConversationKey: which conversation a message belongs to (a user or a group), and
// the metatypes of the client core's value types carried by queued signals.
// Value types; no shared state.
#pragma once

#include <QMetaType>
#include <QString>
#include <vector>

#include "client/client.h"

namespace fastchat::desktop {

struct ConversationKey {
  QString peer;       // direct: the other user (canonical); group: empty
  quint64 group = 0;  // group: its id; direct: 0

  bool is_group() const { return group != 0; }
  bool valid() const { return group != 0 || !peer.isEmpty(); }
  bool operator==(const ConversationKey&) const = default;

  // The conversation `message` belongs to.
  static ConversationKey of(const client::ChatMessage& message) {
    if (message.group_id != 0) return {QString(), message.group_id};
    return {QString::fromStdString(message.peer), 0};
  }
  static ConversationKey user(const QString& name) { return {name, 0}; }
  static ConversationKey group_id(quint64 id) { return {QString(), id}; }
};

using MessageList = std::vector<client::ChatMessage>;
using UserList = std::vector<client::UserInfo>;
using GroupList = std::vector<client::GroupInfo>;

}  // namespace fastchat::desktop

Q_DECLARE_METATYPE(fastchat::desktop::ConversationKey)
Q_DECLARE_METATYPE(fastchat::client::ChatMessage)
Q_DECLARE_METATYPE(fastchat::client::FileProgress)
Q_DECLARE_METATYPE(fastchat::client::GroupInfo)
Q_DECLARE_METATYPE(fastchat::desktop::MessageList)
Q_DECLARE_METATYPE(fastchat::desktop::UserList)
Q_DECLARE_METATYPE(fastchat::desktop::GroupList)
