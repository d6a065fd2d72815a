// The colour scheme: light, or dark when the system asks for it. Qt 6.4 has no
// QStyleHints::colorScheme (6.5), so "the system asks" means: $FASTCHAT_THEME is
// "dark" (or "light", which wins over everything), or $GTK_THEME names a ":dark"
// variant (how GNOME forces it per application), or the platform theme's palette
// already has a dark window colour. The delegates pick their colours from the
// palette, so a dark palette is all the window needs. ColorSchemeFollower asks again
// whenever the platform's theme changes while the application runs.
//
// Thread safety: UI thread only (it sets the application's style and palette).
#pragma once

#include <QMetaType>
#include <QObject>
#include <QPalette>
#include <QString>

class QApplication;

namespace fastchat::desktop {

enum class ColorScheme { kLight, kDark };

// What the system asks for, from the two variables and the current palette.
ColorScheme requested_color_scheme(const QString& fastchat_theme, const QString& gtk_theme,
                                   const QPalette& platform_palette);
// The palette used when dark is asked for but the platform's palette is light.
QPalette dark_palette();
bool is_dark(const QPalette& palette);
// Reads the environment and applies the scheme (Fusion with dark_palette() when dark
// is asked for and the platform's palette is not dark already, Fusion's light palette
// the other way round). Call before making windows, and again after a theme change:
// a palette of its own set earlier is dropped first, so the platform's is what is read.
// Returns the scheme applied.
ColorScheme apply_color_scheme(QApplication& app);

// Follows the system's scheme live: on QEvent::ThemeChange (the platform theme
// changed, e.g. the desktop switched to dark; Qt sends it to every window), the
// scheme is read and applied again, once per burst of events. Widgets then get
// QEvent::PaletteChange.
class ColorSchemeFollower : public QObject {
  Q_OBJECT

 public:
  explicit ColorSchemeFollower(QApplication& app);
  ~ColorSchemeFollower() override;
  ColorScheme scheme() const { return scheme_; }

 signals:
  void scheme_changed(fastchat::desktop::ColorScheme scheme);

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  void follow();

  QApplication& app_;
  ColorScheme scheme_;
  bool pending_ = false;
};

}  // namespace fastchat::desktop

Q_DECLARE_METATYPE(fastchat::desktop::ColorScheme)
