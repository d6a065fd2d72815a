#include "text_format.h"

#include <QDateTime>
#include <QFileInfo>
#include <QLocale>
#include <QRegularExpression>

namespace fastchat::desktop {

QString linkify(const QString& text) {
  static const QRegularExpression kLink(
      QStringLiteral(R"((https?://|www\.)[^\s<>"']+[^\s<>"'.,;:!?)\]])"),
      QRegularExpression::CaseInsensitiveOption);
  QString html;
  qsizetype last = 0;
  auto it = kLink.globalMatch(text);
  while (it.hasNext()) {
    const auto match = it.next();
    html += text.mid(last, match.capturedStart() - last).toHtmlEscaped();
    const QString link = match.captured();
    const QString href =
        link.startsWith(QStringLiteral("www."), Qt::CaseInsensitive) ? "http://" + link : link;
    html += QStringLiteral("<a href=\"%1\">%2</a>").arg(href.toHtmlEscaped(), link.toHtmlEscaped());
    last = match.capturedEnd();
  }
  html += text.mid(last).toHtmlEscaped();
  html.replace(QLatin1Char('\n'), QStringLiteral("<br>"));
  return html;
}

QString human_size(quint64 bytes) {
  if (bytes < 1024) return QStringLiteral("%1 B").arg(bytes);
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024.0;
  int unit = 0;
  while (value >= 1024.0 && unit < 3) {
    value /= 1024.0;
    ++unit;
  }
  return QStringLiteral("%1 %2").arg(value, 0, 'f', 1).arg(QLatin1String(kUnits[unit]));
}

QString time_label(qint64 unix_ms) {
  return QDateTime::fromMSecsSinceEpoch(unix_ms).toLocalTime().toString(QStringLiteral("HH:mm"));
}

QString day_label(const QDate& day, const QDate& today) {
  if (day == today) return QStringLiteral("Today");
  if (day == today.addDays(-1)) return QStringLiteral("Yesterday");
  return QLocale::c().toString(day, QStringLiteral("ddd d MMM yyyy"));
}

QDate local_day(qint64 unix_ms) {
  return QDateTime::fromMSecsSinceEpoch(unix_ms).toLocalTime().date();
}

bool is_image_name(const QString& file_name) {
  const QString suffix = QFileInfo(file_name).suffix().toLower();
  return suffix == QLatin1String("png") || suffix == QLatin1String("jpg") ||
         suffix == QLatin1String("jpeg") || suffix == QLatin1String("gif") ||
         suffix == QLatin1String("bmp") || suffix == QLatin1String("webp");
}

}  // namespace fastchat::desktop
