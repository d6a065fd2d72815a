#include "client/content.h"

#include "crypto/device_message.h"
#include "crypto/ratchet_message.h"
#include "crypto/sender_key_message.h"

namespace fastchat::client {

namespace {

constexpr std::string_view kGroupAdPrefix = "fastchat/group/v1";

Status mismatch(const char* field) {
  return Status(Code::kCrypto, std::string("sealed ") + field + " does not match the routing");
}

}  // namespace

std::string group_associated_data(GroupId group, const MessageId& id) {
  std::string ad;
  ad.reserve(kGroupAdPrefix.size() + 8 + MessageId::kSize);
  ad.append(kGroupAdPrefix);
  for (int shift = 56; shift >= 0; shift -= 8) {
    ad.push_back(static_cast<char>((group >> shift) & 0xff));
  }
  ad.append(id.bytes());
  return ad;
}

wire::Content make_content(const MessageId& id, std::string_view sender, std::string_view recipient,
                           GroupId group, std::int64_t sent_at_ms) {
  wire::Content content;
  content.set_message_id(id.to_bytes());
  content.set_sender(std::string(sender));
  if (group == 0) {
    content.set_recipient(std::string(recipient));
  } else {
    content.set_group_id(group);
  }
  content.set_sent_at_ms(static_cast<std::uint64_t>(sent_at_ms));
  return content;
}

std::string seal_direct_content(const crypto::SharedKey& key, const wire::Content& content) {
  return crypto::seal_direct(key, content.SerializeAsString());
}

crypto::SealedGroupMessage seal_group_content(std::span<const crypto::SharedKey* const> recipients,
                                              const wire::Content& content) {
  const auto id = MessageId::from_bytes(content.message_id()).value_or(MessageId());
  return crypto::seal_group(recipients, content.SerializeAsString(),
                            group_associated_data(content.group_id(), id));
}

Result<wire::Content> open_content(const crypto::SharedKey& key, const wire::InboxMessage& item,
                                   std::string_view me) {
  const auto id = MessageId::from_bytes(item.message_id());
  if (!id) return Status(Code::kCrypto, "message id is not 16 bytes");
  Result<std::string> plain = item.group_id() == 0
                                  ? crypto::open_direct(key, item.body())
                                  : crypto::open_group(key, item.sealed_key(), item.body(),
                                                       group_associated_data(item.group_id(), *id));
  if (!plain) return plain.status();
  return checked_content(*plain, item, me);
}

Result<wire::Content> checked_content(std::string_view plaintext, const wire::InboxMessage& item,
                                      std::string_view me) {
  wire::Content content;
  if (!content.ParseFromArray(plaintext.data(), static_cast<int>(plaintext.size()))) {
    return Status(Code::kCrypto, "content does not parse");
  }
  if (content.message_id() != item.message_id()) return mismatch("message id");
  if (content.sender() != item.sender()) return mismatch("sender");
  if (content.group_id() != item.group_id()) return mismatch("group");
  if (item.group_id() == 0 ? content.recipient() != me : !content.recipient().empty()) {
    return mismatch("recipient");
  }
  if (content.payload_case() == wire::Content::PAYLOAD_NOT_SET) {
    return Status(Code::kCrypto, "content has no payload");
  }
  return content;
}

bool is_ratchet_body(std::string_view body) {
  if (body.empty()) return false;
  const auto tag = static_cast<unsigned char>(body.front());
  return tag == crypto::kRatchetMessageV1 || tag == crypto::kPrekeyMessageV1 ||
         tag == crypto::kDeviceMessageV1;
}

bool is_sender_key_body(std::string_view body) {
  return !body.empty() && static_cast<unsigned char>(body.front()) == crypto::kSenderKeyMessageV1;
}

std::string sender_key_group_id(GroupId group) {
  std::string out(8, '\0');
  for (std::size_t i = 0; i < 8; ++i)
    out[i] = static_cast<char>((group >> (56 - 8 * i)) & 0xff);
  return out;
}

}  // namespace fastchat::client
