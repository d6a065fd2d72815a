#include "theme.h"

#include <QApplication>
#include <QStyle>
#include <QStyleFactory>
#include <QTimer>

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
  // The style the platform chose, kept while Fusion stands in for it.
  static QString platform_style;
  // A palette of ours is in force: one without explicit roles resolves to the
  // platform theme's again, which is what says what the system asks for now.
  if (QCoreApplication::testAttribute(Qt::AA_SetPalette)) QApplication::setPalette(QPalette());
  const QPalette platform = QApplication::palette();
  const ColorScheme scheme = requested_color_scheme(qEnvironmentVariable("FASTCHAT_THEME"),
                                                    qEnvironmentVariable("GTK_THEME"), platform);
  const bool dark_now = is_dark(platform);
  if ((scheme == ColorScheme::kDark) != dark_now) {
    if (platform_style.isEmpty()) {
      platform_style = app.style()->name();
      app.setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    }
    QApplication::setPalette(scheme == ColorScheme::kDark ? dark_palette()
                                                          : app.style()->standardPalette());
  } else if (!platform_style.isEmpty()) {
    app.setStyle(QStyleFactory::create(platform_style));
    platform_style.clear();
    // A style may bring a palette of its own: the platform's is the one asked for.
    if (QCoreApplication::testAttribute(Qt::AA_SetPalette)) QApplication::setPalette(QPalette());
  }
  return scheme;
}

ColorSchemeFollower::ColorSchemeFollower(QApplication& app)
    : app_(app),
      scheme_(is_dark(QApplication::palette()) ? ColorScheme::kDark : ColorScheme::kLight) {
  app_.installEventFilter(this);
}

ColorSchemeFollower::~ColorSchemeFollower() {
  app_.removeEventFilter(this);
}

bool ColorSchemeFollower::eventFilter(QObject* watched, QEvent* event) {
  if (event->type() == QEvent::ThemeChange && !pending_) {
    pending_ = true;  // every window gets one: follow once, after all of them
    QTimer::singleShot(0, this, &ColorSchemeFollower::follow);
  }
  return QObject::eventFilter(watched, event);
}

void ColorSchemeFollower::follow() {
  pending_ = false;
  const ColorScheme scheme = apply_color_scheme(app_);
  if (scheme == scheme_) return;
  scheme_ = scheme;
  emit scheme_changed(scheme);
}

}  // namespace fastchat::desktop
