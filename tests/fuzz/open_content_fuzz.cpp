// Fuzzes open_content (client/content.h), how a client reads an inbox item a hostile
// server hands it. The input is tried twice: as the InboxMessage itself, and as the
// plaintext of a message alice really sealed to bob (direct and group), so the
// checks after decryption are reached too: such a message opens exactly when the
// plaintext is a Content with a payload whose sealed routing fields match the item's.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "client/content.h"
#include "content_fixture.h"
#include "fastchat.pb.h"
#include "protocol/frame_codec.h"

namespace {

using namespace fastchat;

bool routing_matches(const wire::Content& content, const wire::InboxMessage& item) {
  if (content.message_id() != item.message_id() || content.sender() != item.sender() ||
      content.group_id() != item.group_id()) {
    return false;
  }
  return item.group_id() == 0 ? content.recipient() == "bob" : content.recipient().empty();
}

void check_sealed(const fuzz::ContentFixture& f, std::string_view plaintext, bool group) {
  wire::InboxMessage item;
  item.set_message_id(f.message_id);
  item.set_sender("alice");
  if (group) {
    item.set_group_id(fuzz::ContentFixture::kGroup);
    const crypto::SharedKey* keys[] = {&f.bob_from_alice};
    auto sealed = crypto::seal_group(
        keys, plaintext,
        client::group_associated_data(item.group_id(), *MessageId::from_bytes(f.message_id)));
    item.set_body(sealed.body);
    item.set_sealed_key(sealed.wraps[0]);
  } else {
    item.set_body(crypto::seal_direct(f.bob_from_alice, plaintext));
  }
  wire::Content content;
  const bool expected =
      content.ParseFromArray(plaintext.data(), static_cast<int>(plaintext.size())) &&
      routing_matches(content, item) && content.payload_case() != wire::Content::PAYLOAD_NOT_SET;
  auto opened = client::open_content(f.bob_from_alice, item, "bob");
  if (opened.is_ok() != expected) std::abort();
  // Carol cannot pass alice's message off as hers.
  item.set_sender("carol");
  if (client::open_content(f.bob_from_carol, item, "bob")) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = (protocol::silence_protobuf_logging(), true);
  (void)quiet;
  const auto& f = fuzz::ContentFixture::get();
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  wire::InboxMessage item;
  if (item.ParseFromArray(input.data(), static_cast<int>(input.size()))) {
    auto opened = client::open_content(f.bob_from_alice, item, "bob");
    if (opened && (!routing_matches(*opened, item) ||
                   opened->payload_case() == wire::Content::PAYLOAD_NOT_SET)) {
      std::abort();
    }
  }
  check_sealed(f, input, false);
  check_sealed(f, input, true);
  return 0;
}
