// End to end: a fastchat-desktop window on a real X server (Xvfb) and the `fastchat`
// terminal client exchange text, an image and group messages through a real
// fastchat-server process. The screen is captured with ImageMagick's `import`, its
// text read back with OCR (tesseract) and checked for the conversation, and so are the
// window's widget tree and models (no pixel comparisons). With FASTCHAT_SCREENSHOT_DIR set, it also
// saves the documentation's screenshots there (scripts/screenshots.sh).
#include <QApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QLinearGradient>
#include <QListView>
#include <QPainter>
#include <QPushButton>
#include <QRadialGradient>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

#include "client_bridge.h"
#include "conversation_list_model.h"
#include "login_page.h"
#include "message_list_model.h"
#include "process.h"
#include "test_desk.h"

namespace fastchat::desktop::test {

using M = MessageListModel;

class DesktopE2eTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase();
  void cleanupTestCase();
  void desktop_and_cli_exchange_text_image_and_group();

 private:
  // Runs `fastchat --server ... --home <bob's home> args...`.
  e2e::RunResult cli(const std::vector<std::string>& args, const std::string& input = {});
  // Saves the window as docs screenshot `name` when FASTCHAT_SCREENSHOT_DIR is set.
  void shoot(QWidget& window, const QString& name);

  std::unique_ptr<itest::TempDir> root_;
  std::unique_ptr<itest::ServerProcess> server_;
  QString address_;
  QString screenshot_dir_;
};

void DesktopE2eTest::initTestCase() {
  if (qEnvironmentVariableIsEmpty("DISPLAY")) QSKIP("needs an X display (run under xvfb-run)");
  screenshot_dir_ = qEnvironmentVariable("FASTCHAT_SCREENSHOT_DIR");
  root_ = std::make_unique<itest::TempDir>();
  server_ = std::make_unique<itest::ServerProcess>(root_->path());
  const Status started = server_->start();
  QVERIFY2(started.is_ok(), started.to_string().c_str());
  address_ = QStringLiteral("127.0.0.1:%1").arg(server_->port());
}

void DesktopE2eTest::cleanupTestCase() {
  if (server_) server_->terminate();
  server_.reset();
  root_.reset();
}

e2e::RunResult DesktopE2eTest::cli(const std::vector<std::string>& args, const std::string& input) {
  std::vector<std::string> argv = {FASTCHAT_BINARY_DIR "/apps/fastchat/fastchat", "--server",
                                   address_.toStdString(), "--home", root_->path() + "/bob-home"};
  argv.insert(argv.end(), args.begin(), args.end());
  return e2e::run_process(argv, input, std::chrono::seconds(60));
}

void DesktopE2eTest::shoot(QWidget& window, const QString& name) {
  if (screenshot_dir_.isEmpty()) return;
  QDir().mkpath(screenshot_dir_);
  QApplication::processEvents();
  QVERIFY(window.grab().save(screenshot_dir_ + "/" + name + ".png"));
}

// A small picture to send: a sunset, so the inline thumbnail is recognisable.
static QString make_picture(const QString& path) {
  QImage image(960, 640, QImage::Format_RGB32);
  QPainter painter(&image);
  QLinearGradient sky(0, 0, 0, 640);
  sky.setColorAt(0, QColor(0x1e, 0x3c, 0x72));
  sky.setColorAt(0.6, QColor(0xf7, 0x97, 0x1e));
  sky.setColorAt(1, QColor(0xff, 0xd2, 0x00));
  painter.fillRect(image.rect(), sky);
  QRadialGradient sun(QPointF(480, 470), 120);
  sun.setColorAt(0, QColor(0xff, 0xf5, 0xd0));
  sun.setColorAt(1, QColor(0xff, 0xa5, 0x00, 0));
  painter.setBrush(sun);
  painter.setPen(Qt::NoPen);
  painter.drawEllipse(QPointF(480, 470), 120, 120);
  painter.fillRect(QRect(0, 520, 960, 120), QColor(0x10, 0x2a, 0x43));
  painter.end();
  image.save(path);
  return path;
}

void DesktopE2eTest::desktop_and_cli_exchange_text_image_and_group() {
  // Bob uses the terminal client.
  auto registered =
      cli({"--password-stdin", "register", "bob"}, test_support::test_password("bob") + "\n");
  QVERIFY2(registered.exit_code == 0, registered.err.c_str());

  // Alice uses the desktop.
  TestDesk alice(address_);
  alice.window().resize(1100, 720);
  QVERIFY(QTest::qWaitForWindowExposed(&alice.window()));
  alice.window().login_page()->username_field()->setText("alice");
  shoot(alice.window(), "login");
  // First use of this server: its key is shown to compare before anything is sent.
  LoginPage* page = alice.window().login_page();
  page->password_field()->setText(password_of("alice"));
  QTest::mouseClick(page->register_button(), Qt::LeftButton);
  QTRY_VERIFY_WITH_TIMEOUT(page->trust_box()->isVisible(), kWaitMs);
  QVERIFY(page->trust_text()->text().contains("SHA256:"));
  shoot(alice.window(), "trust");
  QTest::mouseClick(page->cancel_trust_button(), Qt::LeftButton);
  QVERIFY2(alice.sign_in("alice", password_of("alice"), true), qPrintable(alice.login_status()));

  alice.open_chat("bob");
  alice.type_and_send("Hello Bob! The photos from Saturday are coming.");
  QTRY_COMPARE_WITH_TIMEOUT(alice.window().messages()->index(0).data(M::kStateLabelRole).toString(),
                            QStringLiteral("sent"), kWaitMs);
  auto got = cli({"recv"});
  QVERIFY2(got.exit_code == 0, got.err.c_str());
  QVERIFY2(
      QString::fromStdString(got.out).contains("Hello Bob! The photos from Saturday are coming."),
      got.out.c_str());
  // Bob's terminal client stored it and said so: delivered, end to end.
  QTRY_COMPARE_WITH_TIMEOUT(alice.window().messages()->index(0).data(M::kStateLabelRole).toString(),
                            QStringLiteral("delivered"), kWaitMs);

  // Bob answers with text, a picture and a group.
  const QString picture = make_picture(QString::fromStdString(root_->path()) + "/sunset.png");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"send", "alice",
            "Great, thanks! Here is one from the lake: https://fastchat.example/lake"},
           {"send-file", "alice", picture.toStdString()},
           {"group", "create", "weekend", "alice"},
           {"group", "send", "weekend", "Who is in for Sunday? Picnic at noon."}}) {
    auto r = cli(args);
    QVERIFY2(r.exit_code == 0, (r.out + r.err).c_str());
  }

  // The desktop shows all of it.
  QTRY_VERIFY_WITH_TIMEOUT(alice.conversation_row("weekend") >= 0, kWaitMs);
  QTRY_VERIFY_WITH_TIMEOUT(alice.shows("sunset.png"), kWaitMs);
  QVERIFY(alice.shows("Great, thanks! Here is one from the lake: https://fastchat.example/lake"));
  auto* messages = alice.window().messages();
  QModelIndex image_row;
  for (int row = 0; row < messages->rowCount(); ++row) {
    if (messages->index(row).data(M::kFileNameRole).toString() == "sunset.png") {
      image_row = messages->index(row);
    }
  }
  QVERIFY(image_row.isValid());
  QVERIFY(!image_row.data(M::kThumbnailRole).value<QImage>().isNull());
  alice.window().message_view()->scrollToBottom();

  // A screenshot of the real X screen, and the text it shows, read from the widgets.
  QApplication::processEvents();
  const QString screen = QString::fromStdString(root_->path()) + "/screen.png";
  auto shot = e2e::run_process({"/usr/bin/import", "-window", "root", screen.toStdString()}, {},
                               std::chrono::seconds(30));
  QVERIFY2(shot.exit_code == 0, shot.err.c_str());
  const QImage captured(screen);
  QVERIFY(!captured.isNull());
  QVERIFY(captured.width() >= 800 && captured.height() >= 600);
  const QRect window_on_screen(alice.window().mapToGlobal(QPoint(0, 0)), alice.window().size());
  QVERIFY(captured.rect().intersects(window_on_screen));
  // The conversation's text as the screen shows it, read back with OCR (tesseract,
  // scripts/install-deps.sh): words, not pixels, so fonts and antialiasing may differ.
  const QString ocr_image = QString::fromStdString(root_->path()) + "/window.png";
  QVERIFY(captured.copy(window_on_screen.intersected(captured.rect()))
              .scaled(window_on_screen.size() * 2, Qt::IgnoreAspectRatio, Qt::SmoothTransformation)
              .save(ocr_image));
  const QString tesseract = QStandardPaths::findExecutable(QStringLiteral("tesseract"));
  QVERIFY2(!tesseract.isEmpty(), "tesseract not found: run scripts/install-deps.sh");
  auto read = e2e::run_process({tesseract.toStdString(), ocr_image.toStdString(), "stdout"}, {},
                               std::chrono::seconds(120));
  QVERIFY2(read.exit_code == 0, read.err.c_str());
  for (const char* words : {"Hello Bob", "photos from Saturday", "from the lake"}) {
    QVERIFY2(QString::fromStdString(read.out).contains(QLatin1String(words)),
             qPrintable(QStringLiteral("OCR did not find \"%1\" on the screen; it read:\n%2")
                            .arg(QLatin1String(words), QString::fromStdString(read.out))));
  }
  auto* title = alice.window().findChild<QLabel*>(QStringLiteral("title"));
  QVERIFY(title != nullptr && title->isVisible());
  QCOMPARE(title->text(), QStringLiteral("bob"));
  QVERIFY(alice.window().message_view()->isVisible());
  QStringList shown;
  for (int row = 0; row < messages->rowCount(); ++row) {
    shown << messages->index(row).data().toString();
  }
  QCOMPARE(shown,
           (QStringList{"Hello Bob! The photos from Saturday are coming.",
                        "Great, thanks! Here is one from the lake: https://fastchat.example/lake",
                        "sunset.png"}));
  alice.type_and_send("Beautiful! 😍");
  QTRY_VERIFY_WITH_TIMEOUT(messages->index(3).data(M::kStateLabelRole).toString() == "sent",
                           kWaitMs);
  shoot(alice.window(), "conversation");

  // The group: Bob's message arrives, Alice answers, Bob reads it in the terminal.
  auto* list = alice.window().conversations();
  const auto group_key = list->index(alice.conversation_row("weekend"))
                             .data(ConversationListModel::kKeyRole)
                             .value<ConversationKey>();
  QVERIFY(group_key.is_group());
  alice.window().open_conversation(group_key);
  QTRY_VERIFY_WITH_TIMEOUT(alice.shows("Who is in for Sunday? Picnic at noon."), kWaitMs);
  QCOMPARE(messages->index(0).data(M::kSenderRole).toString(), QStringLiteral("bob"));
  alice.type_and_send("Count me in, I'll bring lemonade.");
  QTRY_VERIFY_WITH_TIMEOUT(messages->index(1).data(M::kStateLabelRole).toString() == "sent",
                           kWaitMs);
  // Files to the group both ways: Bob's picture inline, Alice's list in Bob's terminal.
  const QString spot = make_picture(QString::fromStdString(root_->path()) + "/picnic-spot.png");
  auto sent_spot = cli({"group", "send-file", "weekend", spot.toStdString()});
  QVERIFY2(sent_spot.exit_code == 0, (sent_spot.out + sent_spot.err).c_str());
  QTRY_VERIFY_WITH_TIMEOUT(alice.shows("picnic-spot.png"), kWaitMs);
  QVERIFY(!messages->index(2).data(M::kThumbnailRole).value<QImage>().isNull());
  QFile list_file(QString::fromStdString(root_->path()) + "/shopping-list.txt");
  QVERIFY(list_file.open(QIODevice::WriteOnly));
  list_file.write("lemonade\nbread\ncheese\n");
  list_file.close();
  alice.window().send_files({list_file.fileName()});
  QTRY_VERIFY_WITH_TIMEOUT(messages->index(3).data(M::kStateLabelRole).toString() == "sent",
                           kWaitMs);
  alice.window().message_view()->scrollToBottom();
  shoot(alice.window(), "group");
  got = cli({"recv"});
  QVERIFY2(got.exit_code == 0, got.err.c_str());
  QVERIFY2(QString::fromStdString(got.out).contains("Count me in, I'll bring lemonade."),
           got.out.c_str());
  QVERIFY2(QString::fromStdString(got.out).contains("Beautiful!"), got.out.c_str());
  QVERIFY2(
      QString::fromStdString(got.out).contains("#weekend alice: [file shopping-list.txt, 22 bytes"),
      got.out.c_str());
  QTRY_VERIFY_WITH_TIMEOUT(
      messages->index(1).data(M::kStateLabelRole).toString() == "delivered to 1", kWaitMs);

  if (!screenshot_dir_.isEmpty()) {
    // A transfer in progress: shot on its first progress report.
    alice.window().open_conversation(ConversationKey::user("bob"));
    QFile big(QString::fromStdString(root_->path()) + "/holiday-video.mp4");
    QVERIFY(big.open(QIODevice::WriteOnly));
    big.write(QByteArray(12 * 1024 * 1024, 'v'));
    big.close();
    bool shot_taken = false;
    connect(&alice.bridge(), &ClientBridge::file_progress, &alice.window(),
            [&](const client::FileProgress& progress) {
              if (shot_taken || progress.done_bytes * 3 < progress.total_bytes) return;
              shot_taken = true;
              alice.window().message_view()->scrollToBottom();
              shoot(alice.window(), "transfer");
            });
    alice.window().send_files({big.fileName()});
    QTRY_VERIFY_WITH_TIMEOUT(shot_taken, kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(
        messages->index(messages->rowCount() - 1).data(M::kStateLabelRole).toString() == "sent",
        kWaitMs * 2);
  }
}

}  // namespace fastchat::desktop::test

QTEST_MAIN(fastchat::desktop::test::DesktopE2eTest)
#include "desktop_e2e_test.moc"
