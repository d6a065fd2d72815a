// fastchat-desktop: the Qt 6 desktop client. The client core runs on its own thread
// (ClientBridge); this thread runs the window. See docs/desktop.md.
#include <QApplication>
#include <QString>

#include "client_bridge.h"
#include "common/logging.h"
#include "desktop_options.h"
#include "home_dir.h"
#include "main_window.h"
#include "notifier.h"
#include "theme.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);  // takes Qt's own options out of argv
  QApplication::setApplicationName(QStringLiteral("fastchat"));
  QApplication::setApplicationDisplayName(QStringLiteral("fastchat"));
  QApplication::setWindowIcon(fastchat::desktop::app_icon());

  const auto parsed = fastchat::desktop::parse_desktop_options(argc, argv);
  if (!parsed.options) return parsed.exit_code;
  const auto& options = *parsed.options;
  fastchat::setup_logging(options.log_level);
  if (auto status = fastchat::cli::ensure_home_dir(options.home); !status) {
    std::fprintf(stderr, "fastchat-desktop: %s\n", status.to_string().c_str());
    return 1;
  }

  fastchat::desktop::apply_color_scheme(app);
  fastchat::desktop::ColorSchemeFollower follow_the_system(app);
  fastchat::desktop::ClientBridge::Transport transport;
  transport.ca_file = QString::fromStdString(options.ca_file);
  transport.insecure_plaintext = options.insecure_plaintext;
  fastchat::desktop::ClientBridge bridge(QString::fromStdString(options.home), transport);
  fastchat::desktop::MainWindow window(bridge, QString::fromStdString(options.server));
  window.show();
  window.start();
  return QApplication::exec();
}
