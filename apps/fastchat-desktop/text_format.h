// Text shown by the desktop client: message text as safe rich text with clickable
// links, file sizes, times and day labels. Pure functions; thread-safe.
#pragma once

#include <QDate>
#include <QString>

namespace fastchat::desktop {

// `text` as HTML: everything escaped, line breaks kept, and http(s)/www links turned
// into anchors. A peer's text can never inject markup.
QString linkify(const QString& text);

// "512 B", "1.5 KiB", "3.2 MiB", "1.0 GiB".
QString human_size(quint64 bytes);

// "14:05" in local time for a Unix time in milliseconds.
QString time_label(qint64 unix_ms);

// "Today", "Yesterday", or the date ("Mon 7 Dec 2026") of `day` as seen on `today`.
QString day_label(const QDate& day, const QDate& today);

// The local calendar day of a Unix time in milliseconds.
QDate local_day(qint64 unix_ms);

// True for file names that are shown inline as images (png, jpg, jpeg, gif, bmp, webp).
bool is_image_name(const QString& file_name);

}  // namespace fastchat::desktop
