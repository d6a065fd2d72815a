// UnreadStore: the unread count of each conversation, kept across restarts in
// <home>/desktop/unread.ini (one section per user; conversations with nothing unread
// are not written). Small synchronous file I/O, a few hundred bytes.
//
// Thread safety: UI thread only (one store per window).
#pragma once

#include <QHash>
#include <QString>

#include "conversation_key.h"

namespace fastchat::desktop {

class UnreadStore {
 public:
  explicit UnreadStore(const QString& home_dir);

  // "u:alice" or "g:42".
  static QString name_of(const ConversationKey& key);
  QHash<QString, int> load(const QString& user) const;
  void save(const QString& user, const QHash<QString, int>& counts) const;

 private:
  QString file_;
};

}  // namespace fastchat::desktop
