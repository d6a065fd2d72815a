#include "main_window.h"

#include <QApplication>
#include <QClipboard>
#include <QDateTime>
#include <QDesktopServices>
#include <QDir>
#include <QDragEnterEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMenu>
#include <QMenuBar>
#include <QMimeData>
#include <QPushButton>
#include <QScrollBar>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>

#include "client_bridge.h"
#include "conversation_delegate.h"
#include "conversation_list_model.h"
#include "group_dialog.h"
#include "login_page.h"
#include "message_delegate.h"
#include "message_input.h"
#include "message_list_model.h"
#include "new_chat_dialog.h"
#include "notifier.h"
#include "theme.h"

namespace fastchat::desktop {

MainWindow::MainWindow(ClientBridge& bridge, const QString& server, QWidget* parent)
    : QMainWindow(parent),
      bridge_(bridge),
      server_(server),
      pages_(new QStackedWidget(this)),
      login_(new LoginPage(bridge, this)),
      conversations_(new ConversationListModel(bridge, this)),
      filter_(new QSortFilterProxyModel(this)),
      messages_(new MessageListModel(bridge, this)),
      message_delegate_(new MessageDelegate(this)),
      notifier_(new Notifier(this)) {
  setObjectName(QStringLiteral("main_window"));
  setWindowIcon(app_icon());
  setAcceptDrops(true);
  filter_->setSourceModel(conversations_);
  filter_->setFilterRole(ConversationListModel::kTitleRole);
  filter_->setFilterCaseSensitivity(Qt::CaseInsensitive);
  login_->set_server(server_);
  pages_->addWidget(login_);
  pages_->addWidget(build_chat_page());
  setCentralWidget(pages_);
  build_menu();
  resize(1000, 680);
  update_title();

  connect(&bridge_, &ClientBridge::signed_in, this, &MainWindow::on_signed_in);
  connect(&bridge_, &ClientBridge::signed_out, this, [this] {
    open_conversation({});
    pages_->setCurrentWidget(login_);
    login_->set_status(QStringLiteral("Logged out."), false);
    update_title();
  });
  connect(&bridge_, &ClientBridge::message_received, this, &MainWindow::on_message);
  connect(&bridge_, &ClientBridge::identity_changed, this, &MainWindow::on_identity_changed);
  connect(&bridge_, &ClientBridge::connection_changed, this, [this](bool connected) {
    statusBar()->showMessage(connected ? QStringLiteral("Connected")
                                       : QStringLiteral("Connection lost; reconnecting ..."));
  });
  connect(&bridge_, &ClientBridge::failed, this,
          [this](const QString& action, const QString& error) {
            show_error(action + QStringLiteral(": ") + error);
          });
  connect(&bridge_, &ClientBridge::send_failed, this, [this](quint64, const QString& error) {
    show_error(QStringLiteral("Not sent: ") + error);
  });
  connect(&bridge_, &ClientBridge::presence_changed, this,
          [this](const QString& user, bool online) {
            if (online) {
              online_.insert(user);
            } else {
              online_.remove(user);
            }
            if (!current_.is_group() && current_.peer == user) update_header();
          });
  connect(&bridge_, &ClientBridge::fingerprint_ready, this,
          [this](const QString& user, const QString& fingerprint) {
            if (current_.is_group() || current_.peer != user) return;
            fingerprint_->setText(QStringLiteral("Safety number of %1: <b>%2</b>")
                                      .arg(user.toHtmlEscaped(), fingerprint.toHtmlEscaped()));
            fingerprint_->show();
          });
  connect(&bridge_, &ClientBridge::group_updated, this, [this](const client::GroupInfo& group) {
    group_sizes_[group.id] = static_cast<int>(group.members.size());
    if (current_.group == group.id) update_header();
  });
  connect(&bridge_, &ClientBridge::group_left, this, [this](quint64 group) {
    if (current_.group == group) open_conversation({});
  });
  connect(conversations_, &ConversationListModel::unread_changed, this, [this](int total) {
    notifier_->set_unread(total);
    update_title();
  });
  connect(conversations_, &ConversationListModel::conversation_added, this,
          [this](const ConversationKey& key) {
            if (key.is_group()) {
              bridge_.load_group(key.group);  // its name and members
            } else {
              bridge_.watch_presence({key.peer});
            }
          });
  connect(notifier_, &Notifier::activated, this, [this] {
    showNormal();
    raise();
    activateWindow();
  });
}

MainWindow::~MainWindow() = default;

QWidget* MainWindow::build_chat_page() {
  auto* page = new QSplitter(this);
  page->setObjectName(QStringLiteral("chat_page"));
  page->setChildrenCollapsible(false);

  // --- left: search and conversations
  auto* left = new QWidget(page);
  auto* left_layout = new QVBoxLayout(left);
  left_layout->setContentsMargins(0, 0, 0, 0);
  left_layout->setSpacing(0);
  auto* top = new QHBoxLayout;
  top->setContentsMargins(8, 8, 8, 8);
  search_ = new QLineEdit(left);
  search_->setObjectName(QStringLiteral("search"));
  search_->setPlaceholderText(QStringLiteral("Search or jump to (Ctrl+K)"));
  search_->setClearButtonEnabled(true);
  search_->installEventFilter(this);
  auto* new_chat_button = new QToolButton(left);
  new_chat_button->setText(QStringLiteral("✎"));
  new_chat_button->setToolTip(QStringLiteral("New chat (Ctrl+N)"));
  auto* new_group_button = new QToolButton(left);
  new_group_button->setText(QStringLiteral("#+"));
  new_group_button->setToolTip(QStringLiteral("New group (Ctrl+Shift+N)"));
  top->addWidget(search_);
  top->addWidget(new_chat_button);
  top->addWidget(new_group_button);
  conversation_view_ = new QListView(left);
  conversation_view_->setObjectName(QStringLiteral("conversations"));
  conversation_view_->setModel(filter_);
  conversation_view_->setItemDelegate(new ConversationDelegate(conversation_view_));
  conversation_view_->setMouseTracking(true);
  conversation_view_->setFrameShape(QFrame::NoFrame);
  conversation_view_->setUniformItemSizes(true);
  conversation_view_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  left_layout->addLayout(top);
  left_layout->addWidget(conversation_view_);
  left->setMinimumWidth(260);

  // --- right: the conversation
  auto* right = new QStackedWidget(page);
  empty_pane_ = new QLabel(QStringLiteral("<p style='font-size:15pt'>fastchat</p>"
                                          "<p>Pick a conversation, or press Ctrl+N to start one."
                                          "</p><p>Messages are end-to-end encrypted.</p>"),
                           right);
  static_cast<QLabel*>(empty_pane_)->setAlignment(Qt::AlignCenter);
  conversation_pane_ = new QWidget(right);
  auto* pane = new QVBoxLayout(conversation_pane_);
  pane->setContentsMargins(0, 0, 0, 0);
  pane->setSpacing(0);

  auto* header = new QWidget(conversation_pane_);
  header->setObjectName(QStringLiteral("header"));
  auto* header_layout = new QHBoxLayout(header);
  header_layout->setContentsMargins(12, 8, 12, 8);
  auto* titles = new QVBoxLayout;
  title_ = new QLabel(header);
  title_->setObjectName(QStringLiteral("title"));
  QFont title_font = title_->font();
  title_font.setBold(true);
  title_font.setPointSizeF(title_font.pointSizeF() * 1.15);
  title_->setFont(title_font);
  subtitle_ = new QLabel(header);
  subtitle_->setObjectName(QStringLiteral("subtitle"));
  titles->addWidget(title_);
  titles->addWidget(subtitle_);
  info_ = new QPushButton(header);
  info_->setObjectName(QStringLiteral("info"));
  header_layout->addLayout(titles, 1);
  header_layout->addWidget(info_);

  banner_ = new QLabel(conversation_pane_);
  banner_->setObjectName(QStringLiteral("identity_banner"));
  banner_->setWordWrap(true);
  banner_->setStyleSheet(QStringLiteral(
      "background:#fdecea; color:#8a1c12; padding:8px; border-bottom:1px solid #f5c2bd;"));
  banner_->hide();
  fingerprint_ = new QLabel(conversation_pane_);
  fingerprint_->setObjectName(QStringLiteral("fingerprint"));
  fingerprint_->setWordWrap(true);
  fingerprint_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  fingerprint_->setStyleSheet(QStringLiteral("padding:6px 12px;"));
  fingerprint_->hide();

  message_view_ = new QListView(conversation_pane_);
  message_view_->setObjectName(QStringLiteral("messages"));
  message_view_->setModel(messages_);
  message_view_->setItemDelegate(message_delegate_);
  message_view_->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
  message_view_->verticalScrollBar()->setSingleStep(24);
  message_view_->setResizeMode(QListView::Adjust);
  message_view_->setFrameShape(QFrame::NoFrame);
  message_view_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  message_view_->setSelectionMode(QAbstractItemView::SingleSelection);
  message_view_->setContextMenuPolicy(Qt::CustomContextMenu);
  set_message_background();

  auto* input_row = new QHBoxLayout;
  input_row->setContentsMargins(8, 8, 8, 8);
  attach_ = new QToolButton(conversation_pane_);
  attach_->setObjectName(QStringLiteral("attach"));
  attach_->setText(QStringLiteral("+"));
  QFont attach_font = attach_->font();
  attach_font.setBold(true);
  attach_font.setPointSizeF(attach_font.pointSizeF() * 1.4);
  attach_->setFont(attach_font);
  attach_->setToolTip(
      QStringLiteral("Attach a file or image (Ctrl+O); you can also drop or paste"));
  input_ = new MessageInput(conversation_pane_);
  input_->setObjectName(QStringLiteral("input"));
  auto* send = new QPushButton(QStringLiteral("Send"), conversation_pane_);
  send->setObjectName(QStringLiteral("send"));
  input_row->addWidget(attach_, 0, Qt::AlignBottom);
  input_row->addWidget(input_, 1);
  input_row->addWidget(send, 0, Qt::AlignBottom);

  pane->addWidget(header);
  pane->addWidget(banner_);
  pane->addWidget(fingerprint_);
  pane->addWidget(message_view_, 1);
  pane->addLayout(input_row);
  right->addWidget(empty_pane_);
  right->addWidget(conversation_pane_);
  page->addWidget(left);
  page->addWidget(right);
  page->setStretchFactor(0, 0);
  page->setStretchFactor(1, 1);
  page->setSizes({300, 700});

  connect(search_, &QLineEdit::textChanged, filter_, &QSortFilterProxyModel::setFilterFixedString);
  connect(search_, &QLineEdit::returnPressed, this, [this] { open_filtered_row(0); });
  connect(conversation_view_, &QListView::activated, this,
          [this](const QModelIndex& index) { open_filtered_row(index.row()); });
  connect(conversation_view_, &QListView::clicked, this,
          [this](const QModelIndex& index) { open_filtered_row(index.row()); });
  connect(new_chat_button, &QToolButton::clicked, this, &MainWindow::new_chat);
  connect(new_group_button, &QToolButton::clicked, this, &MainWindow::new_group);
  connect(info_, &QPushButton::clicked, this, &MainWindow::show_info);
  connect(attach_, &QToolButton::clicked, this, &MainWindow::attach_file);
  connect(input_, &MessageInput::submitted, this, &MainWindow::submit);
  connect(send, &QPushButton::clicked, this, [this] {
    const QString text = input_->toPlainText().trimmed();
    if (text.isEmpty()) return;
    input_->clear();
    submit(text);
  });
  connect(input_, &MessageInput::files_dropped, this, &MainWindow::send_files);
  connect(input_, &MessageInput::image_pasted, this, &MainWindow::send_image);
  connect(message_delegate_, &MessageDelegate::link_activated, this,
          [](const QUrl& url) { QDesktopServices::openUrl(url); });
  connect(message_delegate_, &MessageDelegate::file_activated, this,
          [](const QString& path) { QDesktopServices::openUrl(QUrl::fromLocalFile(path)); });
  connect(message_view_, &QListView::customContextMenuRequested, this,
          &MainWindow::show_message_menu);
  connect(message_view_, &QListView::activated, this, [](const QModelIndex& index) {
    const QString path = index.data(MessageListModel::kFilePathRole).toString();
    if (!path.isEmpty()) QDesktopServices::openUrl(QUrl::fromLocalFile(path));
  });

  // Scrolling: follow new messages at the bottom; load older ones near the top and
  // keep what is on screen in place when they arrive.
  connect(message_view_->verticalScrollBar(), &QScrollBar::valueChanged, this, [this](int value) {
    if (value < 80 && messages_->can_fetch_older()) messages_->fetch_older();
  });
  connect(messages_, &QAbstractItemModel::rowsAboutToBeInserted, this,
          [this](const QModelIndex&, int first, int) {
            auto* bar = message_view_->verticalScrollBar();
            const bool at_bottom = bar->value() >= bar->maximum() - 8;
            message_view_->setProperty("follow", at_bottom || first == 0);
            message_view_->setProperty("distance_from_bottom", bar->maximum() - bar->value());
          });
  connect(messages_, &QAbstractItemModel::rowsInserted, this,
          [this](const QModelIndex&, int first, int) {
            auto* bar = message_view_->verticalScrollBar();
            if (first == 0 && messages_->rowCount() > 0) {
              // Older messages above: stay at the same distance from the bottom.
              const int distance = message_view_->property("distance_from_bottom").toInt();
              message_view_->doItemsLayout();
              bar->setValue(bar->maximum() - distance);
            } else if (message_view_->property("follow").toBool()) {
              message_view_->scrollToBottom();
            }
          });
  connect(messages_, &MessageListModel::page_loaded, this, [this](bool older) {
    if (!older) message_view_->scrollToBottom();
  });
  right->setCurrentWidget(empty_pane_);
  return page;
}

void MainWindow::build_menu() {
  QMenu* menu = menuBar()->addMenu(QStringLiteral("&Chat"));
  QAction* jump = menu->addAction(QStringLiteral("&Jump to conversation"));
  jump->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_K));
  connect(jump, &QAction::triggered, this, [this] {
    search_->setFocus();
    search_->selectAll();
  });
  QAction* chat = menu->addAction(QStringLiteral("&New chat ..."));
  chat->setShortcut(QKeySequence::New);
  connect(chat, &QAction::triggered, this, &MainWindow::new_chat);
  QAction* group = menu->addAction(QStringLiteral("New &group ..."));
  group->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_N));
  connect(group, &QAction::triggered, this, &MainWindow::new_group);
  QAction* attach = menu->addAction(QStringLiteral("&Attach file ..."));
  attach->setShortcut(QKeySequence::Open);
  connect(attach, &QAction::triggered, this, &MainWindow::attach_file);
  QAction* info = menu->addAction(QStringLiteral("Conversation &info"));
  info->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_I));
  connect(info, &QAction::triggered, this, &MainWindow::show_info);
  QAction* next = menu->addAction(QStringLiteral("Next conversation"));
  next->setShortcut(QKeySequence(Qt::ALT | Qt::Key_Down));
  connect(next, &QAction::triggered, this, [this] {
    const int row = conversation_view_->currentIndex().row();
    if (row + 1 < filter_->rowCount()) open_filtered_row(row + 1);
  });
  QAction* previous = menu->addAction(QStringLiteral("Previous conversation"));
  previous->setShortcut(QKeySequence(Qt::ALT | Qt::Key_Up));
  connect(previous, &QAction::triggered, this, [this] {
    const int row = conversation_view_->currentIndex().row();
    if (row > 0) open_filtered_row(row - 1);
  });
  menu->addSeparator();
  QAction* logout = menu->addAction(QStringLiteral("&Log out"));
  connect(logout, &QAction::triggered, this, [this] { bridge_.sign_out(); });
  QAction* quit = menu->addAction(QStringLiteral("&Quit"));
  quit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Q));
  connect(quit, &QAction::triggered, this, &QWidget::close);
  for (QAction* action : menu->actions())
    addAction(action);  // shortcuts without the menu
}

bool MainWindow::chat_shown() const {
  return pages_->currentWidget() != login_;
}

void MainWindow::start() {
  const QString saved = bridge_.saved_user();
  if (saved.isEmpty()) {
    pages_->setCurrentWidget(login_);
    return;
  }
  pages_->setCurrentWidget(login_);
  login_->resume(saved);
}

void MainWindow::on_signed_in(const QString&) {
  login_->set_status({}, false);
  pages_->setCurrentIndex(1);
  update_title();
  bridge_.load_conversations();
  bridge_.load_groups();
  search_->setFocus();
}

void MainWindow::update_title() {
  QString title = QStringLiteral("fastchat");
  if (!bridge_.username().isEmpty()) title += QStringLiteral(" — ") + bridge_.username();
  const int unread = notifier_->unread();
  if (unread > 0) title = QStringLiteral("(%1) ").arg(unread) + title;
  setWindowTitle(title);
  setWindowIcon(app_icon(unread));
}

void MainWindow::open_filtered_row(int row) {
  const QModelIndex index = filter_->index(row, 0);
  if (!index.isValid()) return;
  conversation_view_->setCurrentIndex(index);
  open_conversation(index.data(ConversationListModel::kKeyRole).value<ConversationKey>());
}

void MainWindow::open_conversation(const ConversationKey& key) {
  auto* right = static_cast<QStackedWidget*>(conversation_pane_->parentWidget());
  current_ = key;
  conversations_->set_current(key);
  fingerprint_->hide();
  messages_->open(key);
  if (!key.valid()) {
    right->setCurrentWidget(empty_pane_);
    return;
  }
  const int row = conversations_->ensure(key);
  const QModelIndex proxy = filter_->mapFromSource(conversations_->index(row));
  if (proxy.isValid()) conversation_view_->setCurrentIndex(proxy);
  right->setCurrentWidget(conversation_pane_);
  update_header();
  if (key.is_group()) bridge_.load_group(key.group);
  input_->setFocus();
}

void MainWindow::update_header() {
  if (!current_.valid()) return;
  title_->setText(conversations_->title_of(current_));
  if (current_.is_group()) {
    const auto size = group_sizes_.find(current_.group);
    subtitle_->setText(size == group_sizes_.end()
                           ? QStringLiteral("group")
                           : QStringLiteral("group · %1 members").arg(*size));
    info_->setText(QStringLiteral("Members"));
    banner_->hide();
    return;
  }
  info_->setText(QStringLiteral("Safety number"));
  subtitle_->setText(online_.contains(current_.peer) ? QStringLiteral("● online")
                                                     : QStringLiteral("offline"));
  banner_->setVisible(identity_changed_.contains(current_.peer));
}

void MainWindow::submit(const QString& text) {
  if (!current_.valid()) return;
  const quint64 tag = bridge_.send_text(current_, text);
  messages_->add_pending_text(tag, text);
}

void MainWindow::send_files(const QStringList& paths) {
  if (!current_.valid()) {
    show_error(QStringLiteral("Open a conversation first."));
    return;
  }
  for (const QString& path : paths) {
    if (!QFileInfo(path).isFile()) {
      show_error(path + QStringLiteral(" is not a file"));
      continue;
    }
    const quint64 tag = bridge_.send_file(current_, path);
    messages_->add_pending_file(tag, path);
  }
}

void MainWindow::send_image(const QImage& image) {
  // A pasted image has no file yet: keep one beside the account's data, since the
  // local history refers to sent files by path.
  const QString dir = bridge_.home_dir() + QStringLiteral("/desktop/pasted");
  QDir().mkpath(dir);
  const QString path =
      dir + QStringLiteral("/pasted-%1.png")
                .arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss-zzz")));
  if (!image.save(path, "PNG")) {
    show_error(QStringLiteral("Cannot save the pasted image to ") + path);
    return;
  }
  send_files({path});
}

void MainWindow::attach_file() {
  if (!current_.valid()) return;
  const QStringList paths = QFileDialog::getOpenFileNames(this, QStringLiteral("Send files"));
  if (!paths.isEmpty()) send_files(paths);
}

void MainWindow::new_chat() {
  if (!chat_shown()) return;
  NewChatDialog dialog(bridge_, this);
  if (dialog.exec() != QDialog::Accepted) return;
  const QString user = dialog.username();
  if (user.isEmpty()) return;
  conversations_->ensure(ConversationKey::user(user));
  bridge_.watch_presence({user});
  open_conversation(ConversationKey::user(user));
}

void MainWindow::new_group() {
  if (!chat_shown()) return;
  NewGroupDialog dialog(this);
  if (dialog.exec() != QDialog::Accepted) return;
  const QString name = dialog.name();
  // Open the group once the server made it.
  auto connection = std::make_shared<QMetaObject::Connection>();
  *connection = connect(&bridge_, &ClientBridge::group_updated, this,
                        [this, name, connection](const client::GroupInfo& group) {
                          if (QString::fromStdString(group.name) != name) return;
                          disconnect(*connection);
                          open_conversation(ConversationKey::group_id(group.id));
                        });
  bridge_.create_group(name, dialog.members());
}

void MainWindow::show_info() {
  if (!current_.valid()) return;
  if (current_.is_group()) {
    auto* dialog = new GroupDialog(bridge_, current_.group, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
    return;
  }
  bridge_.request_fingerprint(current_.peer);
}

void MainWindow::on_message(const client::ChatMessage& message) {
  const ConversationKey key = ConversationKey::of(message);
  const bool in_view = key == current_ && isVisible() && !isMinimized();
  if (in_view) return;
  const QString title = key.is_group() ? QString::fromStdString(message.sender) +
                                             QStringLiteral(" in ") + conversations_->title_of(key)
                                       : QString::fromStdString(message.sender);
  const QString text = message.file_name.empty()
                           ? QString::fromStdString(message.text)
                           : QStringLiteral("sent ") + QString::fromStdString(message.file_name);
  notifier_->notify(title, text.left(200));
}

void MainWindow::on_identity_changed(const QString& user, const QString& fingerprint) {
  identity_changed_.insert(user);
  banner_->setText(QStringLiteral("⚠ The server now gives another key for <b>%1</b> "
                                  "(fingerprint %2). The key you had is kept: compare safety "
                                  "numbers with them (fastchat verify %1) before you accept it "
                                  "(fastchat verify %1 --accept-new).")
                       .arg(user.toHtmlEscaped(), fingerprint.toHtmlEscaped()));
  if (!current_.is_group() && current_.peer == user) banner_->show();
  notifier_->notify(QStringLiteral("Safety number changed"),
                    QStringLiteral("The keys of %1 changed. Verify them before trusting new "
                                   "messages.")
                        .arg(user));
}

void MainWindow::show_error(const QString& text) {
  statusBar()->showMessage(text, 10000);
}

void MainWindow::show_message_menu(const QPoint& pos) {
  const QModelIndex index = message_view_->indexAt(pos);
  const QString path = index.data(MessageListModel::kFilePathRole).toString();
  QMenu menu(this);
  if (!path.isEmpty()) {
    menu.addAction(QStringLiteral("Open"), this,
                   [path] { QDesktopServices::openUrl(QUrl::fromLocalFile(path)); });
    menu.addAction(QStringLiteral("Show in folder"), this, [path] {
      QDesktopServices::openUrl(QUrl::fromLocalFile(QFileInfo(path).absolutePath()));
    });
  }
  const QString text = index.data(MessageListModel::kTextRole).toString();
  if (index.isValid() && path.isEmpty()) {
    menu.addAction(QStringLiteral("Copy text"), this,
                   [text] { QApplication::clipboard()->setText(text); });
  }
  if (!menu.isEmpty()) menu.exec(message_view_->viewport()->mapToGlobal(pos));
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
  if (current_.valid() && !local_files(event->mimeData()).isEmpty()) {
    event->acceptProposedAction();
  }
}

void MainWindow::dropEvent(QDropEvent* event) {
  const QStringList paths = local_files(event->mimeData());
  if (paths.isEmpty()) return;
  event->acceptProposedAction();
  send_files(paths);
}

void MainWindow::set_message_background() {
  message_view_->setStyleSheet(is_dark(palette())
                                   ? QStringLiteral("QListView#messages{background:#0b141a;}")
                                   : QStringLiteral("QListView#messages{background:#efeae2;}"));
}

void MainWindow::changeEvent(QEvent* event) {
  QMainWindow::changeEvent(event);
  if (event->type() == QEvent::PaletteChange && message_view_ != nullptr) set_message_background();
}

bool MainWindow::eventFilter(QObject* watched, QEvent* event) {
  if (watched == search_ && event->type() == QEvent::KeyPress) {
    const auto* key = static_cast<QKeyEvent*>(event);
    if (key->key() == Qt::Key_Down) {
      conversation_view_->setFocus();
      if (filter_->rowCount() > 0) conversation_view_->setCurrentIndex(filter_->index(0, 0));
      return true;
    }
    if (key->key() == Qt::Key_Escape) {
      search_->clear();
      if (current_.valid()) input_->setFocus();
      return true;
    }
  }
  return QMainWindow::eventFilter(watched, event);
}

}  // namespace fastchat::desktop
