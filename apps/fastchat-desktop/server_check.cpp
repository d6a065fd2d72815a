#include "server_check.h"

#include "tls/known_hosts.h"

namespace fastchat::desktop {

ServerCheck judge_server_key(const client::ServerKey& key, const std::string& address,
                             const std::string& known_hosts_file, bool ca_only) {
  ServerCheck check;
  check.address = QString::fromStdString(address);
  check.fingerprint = QString::fromStdString(key.fingerprint);
  if (key.fingerprint.empty()) {
    check.error = check.address + QStringLiteral(" presented no certificate");
    return check;
  }
  if (key.ca_verified) {
    check.verdict = ServerCheck::Verdict::kTrusted;
    return check;
  }
  if (ca_only) {
    check.error = QStringLiteral("The certificate of %1 does not verify against the CA file: %2")
                      .arg(check.address, QString::fromStdString(key.verify_error));
    return check;
  }
  const auto pinned = tls::find_pin(known_hosts_file, address);
  if (!pinned) {
    check.verdict = ServerCheck::Verdict::kUnknown;
  } else if (*pinned == key.fingerprint) {
    check.verdict = ServerCheck::Verdict::kTrusted;
  } else {
    check.verdict = ServerCheck::Verdict::kChanged;
    check.pinned = QString::fromStdString(*pinned);
  }
  return check;
}

QString changed_key_message(const ServerCheck& check, const QString& home_dir) {
  return QStringLiteral(
             "<b>The key of the server %1 has changed.</b><br>"
             "Pinned: <tt>%2</tt><br>Now presented: <tt>%3</tt><br><br>"
             "Someone may be intercepting this connection, or the server got a new key. "
             "Nothing was sent to it. Ask the server's operator for its fingerprint "
             "(<tt>fastchat-server --print-fingerprint</tt>). Only if it is the one now "
             "presented, paste it below and choose <i>Trust the new key</i>, or run "
             "<tt>fastchat --home %4 trust-server %1 %3</tt>.")
      .arg(check.address.toHtmlEscaped(), check.pinned.toHtmlEscaped(),
           check.fingerprint.toHtmlEscaped(), home_dir.toHtmlEscaped());
}

}  // namespace fastchat::desktop
