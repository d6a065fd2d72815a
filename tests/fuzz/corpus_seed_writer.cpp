// Writes the seed corpora of the fuzzers of outside bytes added with it: frame_scratch,
// request_router, open_content, envelope, file_assembler, file_name, keystore,
// session_file and redis_payloads. Run by hand after a format change:
//   build/asan/tests/fuzz/corpus_seed_writer tests/fuzz/corpus
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "client/content.h"
#include "client/home.h"
#include "cluster/redis_schema.h"
#include "content_fixture.h"
#include "crypto/keystore.h"
#include "fastchat.pb.h"
#include "fixed_identity.h"
#include "keystore_fixture.h"
#include "protocol/frame_codec.h"
#include "seed_io.h"

namespace {

using namespace fastchat;
using fuzz::write_message_seed;
using fuzz::write_seed;
namespace fs = std::filesystem;

void frame_scratch(const fs::path& dir) {
  wire::Frame hello;
  hello.set_request_id(1);
  hello.mutable_hello()->set_protocol_version(1);
  wire::Frame send;
  send.set_request_id(2);
  send.mutable_send()->set_message_id(std::string(16, '\x01'));
  send.mutable_send()->set_user("bob");
  send.mutable_send()->set_body(std::string(3000, '\x07'));
  const std::string two = protocol::encode_frame(hello) + protocol::encode_frame(send);
  // Two leading bytes choose the read sizes of the two connections.
  write_seed(dir, "two_frames_small_reads", std::string("\x01\x02", 2) + two);
  write_seed(dir, "two_frames_large_reads", std::string("\xff\xff", 2) + two);
  write_seed(dir, "partial", std::string("\x10\x03", 2) + two.substr(0, two.size() - 5));
  // Regression: an empty stream (FrameDecoder::feed of nothing was a memcpy from null).
  write_seed(dir, "empty_stream", std::string("\x01\x01", 2));
  write_seed(dir, "too_large", std::string("\x05\x05\x00\x20\x00\x01", 6));
  write_seed(dir, "malformed", std::string("\x05\x05\x00\x00\x00\x03\xff\xff\xff", 9));
}

void request_router(const fs::path& dir) {
  std::vector<std::pair<std::string, wire::Frame>> seeds;
  auto add = [&](const char* name) -> wire::Frame& {
    seeds.emplace_back(name, wire::Frame());
    return seeds.back().second;
  };
  add("hello").mutable_hello()->set_protocol_version(protocol::kProtocolVersion);
  add("hello_old").mutable_hello()->set_protocol_version(0);
  {
    const crypto::Identity carol = fuzz::fixed_identity(4);
    const crypto::PublicIdentity pub = carol.public_identity("carol");
    auto* r = add("register").mutable_register_();
    r->set_username("carol");
    r->mutable_identity()->set_sign_public_key(pub.sign_public_key);
    r->mutable_identity()->set_box_public_key(pub.box_public_key);
    r->mutable_identity()->set_signature(pub.signature);
    r->set_login_public_key(std::string(32, '\x11'));
    r->set_device_public_key(std::string(32, '\x12'));
    r->set_device_name("fuzz");
  }
  {
    auto* l = add("login").mutable_login();
    l->set_username("alice");
    l->set_login_signature(std::string(64, '\x01'));
    l->set_device_public_key(std::string(32, '\x12'));
  }
  {
    auto* r = add("resume").mutable_resume();
    r->set_username("alice");
    r->set_session_token(std::string(32, '\x02'));
    r->set_device_signature(std::string(64, '\x03'));
  }
  add("locate").mutable_locate();
  add("logout").mutable_logout();
  add("change_login_key")
      .mutable_change_login_key()
      ->set_new_login_public_key(std::string(32, '\x04'));
  add("list_sessions").mutable_list_sessions();
  add("revoke_session").mutable_revoke_session()->set_session_id(2);
  add("list_users").mutable_list_users()->set_pattern("b");
  add("get_identities").mutable_get_identities()->add_usernames("bob");
  add("watch_presence").mutable_watch_presence()->add_usernames("bob");
  {
    auto* s = add("send_direct").mutable_send();
    s->set_message_id(std::string(16, '\x05'));
    s->set_user("bob");
    s->set_body(std::string(1, '\x01') + std::string(60, '\x06'));
  }
  {
    auto* s = add("send_group").mutable_send();
    s->set_message_id(std::string(16, '\x06'));
    s->set_group_id(1);
    s->set_body(std::string(1, '\x03') + std::string(80, '\x07'));
    auto* wrap = s->add_key_wraps();
    wrap->set_username("bob");
    wrap->set_sealed_key(std::string(88, '\x08'));
  }
  add("sync").mutable_sync()->set_limit(10);
  add("ack").mutable_ack()->set_up_to_seq(1);
  {
    auto* g = add("create_group").mutable_create_group();
    g->set_name("g");
    g->add_members("bob");
  }
  add("get_group").mutable_get_group()->set_group_id(1);
  add("list_groups").mutable_list_groups();
  {
    auto* a = add("add_member").mutable_add_member();
    a->set_group_id(1);
    a->set_username("bob");
  }
  {
    auto* r = add("remove_member").mutable_remove_member();
    r->set_group_id(1);
    r->set_username("bob");
  }
  add("leave_group").mutable_leave_group()->set_group_id(2);
  {
    auto* p = add("publish_prekeys").mutable_publish_prekeys();
    p->set_device_id(1);
    p->mutable_signed_prekey()->set_id(1);
    p->mutable_signed_prekey()->set_public_key(std::string(32, '\x09'));
    p->mutable_signed_prekey()->set_signature(std::string(64, '\x0a'));
    auto* one = p->add_one_time_prekeys();
    one->set_id(2);
    one->set_public_key(std::string(32, '\x0b'));
  }
  add("get_prekey_count").mutable_get_prekey_count()->set_device_id(1);
  add("fetch_prekey_bundles").mutable_fetch_prekey_bundles()->set_username("bob");
  add("not_a_request").mutable_ok();
  add("empty");
  for (auto& [name, frame] : seeds)
    write_message_seed(dir, name, frame);
}

wire::Content text_content(std::string_view recipient, std::uint64_t group) {
  const auto& f = fuzz::ContentFixture::get();
  wire::Content content = client::make_content(*MessageId::from_bytes(f.message_id), "alice",
                                               recipient, group, 1'800'000'000'000);
  content.set_text("hello");
  return content;
}

void open_content(const fs::path& dir) {
  const auto& f = fuzz::ContentFixture::get();
  wire::InboxMessage direct;
  direct.set_seq(1);
  direct.set_message_id(f.message_id);
  direct.set_sender("alice");
  direct.set_body(client::seal_direct_content(f.bob_from_alice, text_content("bob", 0)));
  write_message_seed(dir, "item_direct", direct);
  wire::InboxMessage group = direct;
  group.set_group_id(fuzz::ContentFixture::kGroup);
  const crypto::SharedKey* keys[] = {&f.bob_from_alice};
  auto sealed = client::seal_group_content(keys, text_content("", fuzz::ContentFixture::kGroup));
  group.set_body(sealed.body);
  group.set_sealed_key(sealed.wraps[0]);
  write_message_seed(dir, "item_group", group);
  // Plaintexts: opened as what alice sealed to bob.
  write_message_seed(dir, "content_direct", text_content("bob", 0));
  write_message_seed(dir, "content_group", text_content("", fuzz::ContentFixture::kGroup));
  wire::Content file = text_content("bob", 0);
  file.mutable_file()->set_file_id(std::string(16, '\x01'));
  file.mutable_file()->set_name("a.png");
  file.mutable_file()->set_total_size(3);
  file.mutable_file()->set_count(1);
  file.mutable_file()->set_data("abc");
  write_message_seed(dir, "content_file", file);
  wire::Content receipt = text_content("bob", 0);
  receipt.mutable_receipt()->add_message_ids(std::string(16, '\x02'));
  write_message_seed(dir, "content_receipt", receipt);
}

void envelope(const fs::path& dir) {
  const auto& f = fuzz::ContentFixture::get();
  write_seed(dir, "direct", crypto::seal_direct(f.bob_from_alice, "hello"));
  const crypto::SharedKey* keys[] = {&f.bob_from_alice};
  auto sealed = crypto::seal_group(keys, "hello group", "fastchat/group/v1 fuzz");
  std::string group(1, static_cast<char>(sealed.wraps[0].size()));
  write_seed(dir, "group", group + sealed.wraps[0] + sealed.body);
}

std::string record(const wire::FileChunk& chunk) {
  const std::string bytes = chunk.SerializeAsString();
  std::string out;
  out.push_back(static_cast<char>(bytes.size() >> 8));
  out.push_back(static_cast<char>(bytes.size() & 0xff));
  return out + bytes;
}

void file_assembler(const fs::path& dir) {
  wire::FileChunk chunk;
  chunk.set_file_id(std::string(16, '\x01'));
  chunk.set_name("photo.png");
  chunk.set_mime_type("image/png");
  chunk.set_total_size(10);
  chunk.set_count(1);
  chunk.set_data("0123456789");
  write_seed(dir, "one_chunk", record(chunk));
  chunk.set_count(3);
  chunk.set_data("0123");
  std::string three = record(chunk);
  chunk.set_index(2);
  chunk.set_data("89");
  three += record(chunk);
  chunk.set_index(1);
  chunk.set_data("4567");
  three += record(chunk) + record(chunk);  // a duplicate
  write_seed(dir, "three_chunks", three);
  chunk.set_name("../../.bashrc");
  chunk.set_count(1);
  chunk.set_index(0);
  chunk.set_total_size(4);
  chunk.set_data("evil");
  write_seed(dir, "escaping_name", record(chunk) + record(chunk));
}

void file_name(const fs::path& dir) {
  write_seed(dir, "plain", "holiday photo.JPG");
  write_seed(dir, "path", "../../etc/passwd");
  write_seed(dir, "windows", "C:\\Users\\x\\report.pdf");
  write_seed(dir, "hidden", ". .config");
  write_seed(dir, "control", std::string("a\x01\nb\x7f.txt"));
  write_seed(dir, "long", std::string(300, 'n') + ".tar.gz");
  write_seed(
      dir, "long_utf8",
      std::string(150, 'x') + "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" + std::string(60, 'y') + ".md");
}

void keystore(const fs::path& dir) {
  fs::create_directories(dir);
  const crypto::Identity identity = fuzz::fixed_identity(5);
  if (!crypto::save_keystore((dir / "valid").string(), fuzz::kKeystoreUser, identity,
                             fuzz::keystore_storage_key())) {
    std::fprintf(stderr, "cannot write the keystore seed\n");
  }
  write_seed(dir, "header_only", std::string("FCKS\x01", 5));
}

void session_file(const fs::path& dir) {
  write_seed(dir, "valid",
             "fastchat-session 1\nusername alice\nserver 127.0.0.1:7600\ntoken "
             "000102030405060708090a0b0c0d0e0f\ndata_key "
             "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a\n");
  write_seed(dir, "key_ref",
             "fastchat-session 1\nusername alice\nserver 127.0.0.1:7600\ntoken "
             "000102030405060708090a0b0c0d0e0f\ndata_key_ref "
             "fastchat:data-key:alice:000102030405060708090a0b0c0d0e0f\n");
  write_seed(dir, "odd_hex", "fastchat-session 1\nusername alice\ntoken abc\ndata_key 00\n");
  write_seed(dir, "upper_name", "fastchat-session 1\nusername Alice\ntoken 00\ndata_key 00\n");
}

void redis_payloads(const fs::path& dir) {
  namespace schema = cluster::schema;
  write_seed(dir, "delivery",
             schema::encode_delivery(42, 7, std::string_view("\x00\x00\x00\x02\x08\x01", 6)));
  write_seed(dir, "catch_up", schema::encode_delivery(42, 7, ""));
  write_seed(dir, "probe", schema::encode_delivery(0, 0, "x"));
  write_seed(dir, "presence", "P 1 1 42 srv-1:7600 alice");
  write_seed(dir, "presence_offline", "P 0 0 42 10.0.0.1:7600 bob");
  write_seed(dir, "resync", schema::encode_resync("srv-2"));
  write_seed(dir, "revocation", schema::encode_revocation(42, 3, true));
  write_seed(dir, "revocation_one", schema::encode_revocation(42, 4294967295u, false));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  const fs::path root(argv[1]);
  frame_scratch(root / "frame_scratch");
  request_router(root / "request_router");
  open_content(root / "open_content");
  envelope(root / "envelope");
  file_assembler(root / "file_assembler");
  file_name(root / "file_name");
  keystore(root / "keystore");
  session_file(root / "session_file");
  redis_payloads(root / "redis_payloads");
  std::printf("seeds written under %s\n", argv[1]);
  return 0;
}
