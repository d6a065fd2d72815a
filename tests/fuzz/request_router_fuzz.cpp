// Fuzzes every request's validation on a real server (server/request_router.cpp and
// the handlers behind it): the input is one wire::Frame, sent on a logged-in
// connection (Hello, Register, Login, Resume and Locate on a fresh one). Whatever it
// holds, the server answers it, with a reply or an error, and stays up.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fastchat.pb.h"
#include "protocol/frame_codec.h"
#include "request_fixture.h"
#include "scratch_dir.h"

namespace {

using namespace fastchat;

bool before_login(wire::Frame::BodyCase body) {
  return body == wire::Frame::kHello || body == wire::Frame::kRegister ||
         body == wire::Frame::kLogin || body == wire::Frame::kResume ||
         body == wire::Frame::kLocate;
}

// Requests after which alice's connection is no longer the one the next input expects.
bool changes_login(wire::Frame::BodyCase body) {
  return body == wire::Frame::kLogout || body == wire::Frame::kRevokeSession ||
         body == wire::Frame::kChangeLoginKey;
}

void expect_answer(itest::RawClient& client, const wire::Frame& frame) {
  const std::uint64_t id = client.request(frame);
  if (id == 0) {
    std::fprintf(stderr, "could not send the request (server gone?)\n");
    std::abort();
  }
  if (!client.response(id, std::chrono::seconds(10))) {
    std::fprintf(stderr, "request %s was never answered\n", frame.ShortDebugString().c_str());
    std::abort();
  }
  while (client.next(std::chrono::milliseconds(0))) {
  }  // pushes
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = (protocol::silence_protobuf_logging(), true);
  (void)quiet;
  static fuzz::RequestFixture fixture(fuzz::scratch_dir("request_router_fuzz").string());
  wire::Frame frame;
  if (!frame.ParseFromArray(data, static_cast<int>(size))) return 0;
  const auto body = frame.body_case();
  if (before_login(body)) {
    auto fresh = fixture.connect(body != wire::Frame::kHello);
    expect_answer(*fresh, frame);
    return 0;
  }
  expect_answer(fixture.logged_in(), frame);
  if (changes_login(body)) fixture.drop_connection();
  return 0;
}
