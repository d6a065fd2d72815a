#include "unread_store.h"

#include <QDir>
#include <QFileInfo>
#include <QSettings>

namespace fastchat::desktop {

UnreadStore::UnreadStore(const QString& home_dir)
    : file_(home_dir + QStringLiteral("/desktop/unread.ini")) {}

QString UnreadStore::name_of(const ConversationKey& key) {
  return key.is_group() ? QStringLiteral("g:%1").arg(key.group) : QStringLiteral("u:") + key.peer;
}

QHash<QString, int> UnreadStore::load(const QString& user) const {
  QHash<QString, int> counts;
  if (user.isEmpty()) return counts;
  QSettings settings(file_, QSettings::IniFormat);
  settings.beginGroup(user);
  for (const QString& name : settings.childKeys()) {
    const int count = settings.value(name).toInt();
    if (count > 0) counts.insert(name, count);
  }
  return counts;
}

void UnreadStore::save(const QString& user, const QHash<QString, int>& counts) const {
  if (user.isEmpty()) return;
  QDir().mkpath(QFileInfo(file_).absolutePath());
  QSettings settings(file_, QSettings::IniFormat);
  settings.remove(user);
  settings.beginGroup(user);
  for (auto it = counts.begin(); it != counts.end(); ++it) {
    if (it.value() > 0) settings.setValue(it.key(), it.value());
  }
  settings.endGroup();
  settings.sync();
}

}  // namespace fastchat::desktop
