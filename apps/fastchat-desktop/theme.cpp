#include "theme.h"

#include <QApplication>
#include <QStyle>
#include <QStyleFactory>

namespace fastchat::desktop {

bool is_dark(const QPalette& palette) {
  return palette.color(QPalette::Window).lightness() < 128;
}

ColorScheme requested_color_scheme(const QString& fastchat_theme, const QString& gtk_theme,
                                   const QPalette& platform_palette) {
  const QString forced = fastchat_theme.trimmed().toLower();
  if (forced == QStringLiteral("dark")) return ColorScheme::kDark;
  if (forced == QStringLiteral("light")) return ColorScheme::kLight;
  if (gtk_theme.endsWith(QStringLiteral(":dark"), Qt::CaseInsensitive)) return ColorScheme::kDark;
  return is_dark(platform_palette) ? ColorScheme::kDark : ColorScheme::kLight;
}

QPalette dark_palette() {
  QPalette p;
  const QColor window(0x20, 0x2c, 0x33);
  const QColor base(0x11, 0x1b, 0x21);
  const QColor text(0xe9, 0xed, 0xef);
  const QColor muted(0x8d, 0x9d, 0xa6);
  p.setColor(QPalette::Window, window);
  p.setColor(QPalette::WindowText, text);
  p.setColor(QPalette::Base, base);
  p.setColor(QPalette::AlternateBase, window);
  p.setColor(QPalette::Text, text);
  p.setColor(QPalette::PlaceholderText, muted);
  p.setColor(QPalette::Button, QColor(0x2a, 0x39, 0x42));
  p.setColor(QPalette::ButtonText, text);
  p.setColor(QPalette::BrightText, Qt::white);
  p.setColor(QPalette::ToolTipBase, window);
  p.setColor(QPalette::ToolTipText, text);
  p.setColor(QPalette::Highlight, QColor(0x00, 0x80, 0x69));
  p.setColor(QPalette::HighlightedText, Qt::white);
  p.setColor(QPalette::Link, QColor(0x53, 0xbd, 0xeb));
  p.setColor(QPalette::Mid, QColor(0x37, 0x47, 0x52));
  p.setColor(QPalette::Dark, QColor(0x0b, 0x14, 0x1a));
  for (auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText}) {
    p.setColor(QPalette::Disabled, role, muted.darker(130));
  }
  return p;
}

ColorScheme apply_color_scheme(QApplication& app) {
  const ColorScheme scheme =
      requested_color_scheme(qEnvironmentVariable("FASTCHAT_THEME"),
                             qEnvironmentVariable("GTK_THEME"), QApplication::palette());
  const bool dark_now = is_dark(QApplication::palette());
  if (scheme == ColorScheme::kDark && !dark_now) {
    app.setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    QApplication::setPalette(dark_palette());
  } else if (scheme == ColorScheme::kLight && dark_now) {
    app.setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    QApplication::setPalette(app.style()->standardPalette());
  }
  return scheme;
}

}  // namespace fastchat::desktop
