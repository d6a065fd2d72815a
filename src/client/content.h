// Sealing and opening message content (wire::Content) for the wire, envelope v1
// (crypto/envelope.h); v2 bodies are sealed by the ratchet (client_ratchet.cpp). The routing fields
// are repeated inside the ciphertext and checked on receipt, so the server cannot re-address,
// re-attribute or move a message between conversations. Pure functions; thread-safe.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "common/message_id.h"
#include "common/status.h"
#include "crypto/envelope.h"
#include "fastchat.pb.h"

namespace fastchat::client {

// "fastchat/group/v1" || 8-byte big-endian group id || 16-byte message id.
std::string group_associated_data(GroupId group, const MessageId& id);

// Content with the routing fields set; the caller adds the text or file chunk.
// Direct: `recipient` set and `group` 0; group: `recipient` empty.
wire::Content make_content(const MessageId& id, std::string_view sender, std::string_view recipient,
                           GroupId group, std::int64_t sent_at_ms);

// `key` is the shared key of the sender and the recipient.
std::string seal_direct_content(const crypto::SharedKey& key, const wire::Content& content);
// One body for the group and one wrap per recipient (wraps[i] for recipients[i]).
crypto::SealedGroupMessage seal_group_content(std::span<const crypto::SharedKey* const> recipients,
                                              const wire::Content& content);

// Opens an inbox item addressed to `me` with the shared key of `me` and the item's
// sender, and checks the sealed routing fields against the outer ones. kCrypto when
// it does not decrypt, does not parse or does not match.
Result<wire::Content> open_content(const crypto::SharedKey& key, const wire::InboxMessage& item,
                                   std::string_view me);

// The decrypted `plaintext` of `item` parsed, its sealed routing fields checked against
// the outer ones as open_content() does (for any envelope version).
Result<wire::Content> checked_content(std::string_view plaintext, const wire::InboxMessage& item,
                                      std::string_view me);

// E2EE v2 (docs/e2ee-v2.md): a direct body that is a per-device message (0x16), or a bare
// Double Ratchet (0x11) or prekey message (0x12) from a client before per-device bodies,
// rather than a v1 envelope (0x01). The first byte tells them apart.
bool is_ratchet_body(std::string_view body);
// A group body sealed with a sender key (0x13) rather than v1 (0x01 with a key wrap).
bool is_sender_key_body(std::string_view body);
// The group id as Sender Keys bind it (8 bytes, big-endian).
std::string sender_key_group_id(GroupId group);

}  // namespace fastchat::client
