// Fuzzes the decoders of saved E2EE v2 state (read back from the user's disk, which
// may be corrupt): whatever they accept serializes to a form they accept again, and
// the loaded objects can be used without crashing.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crypto/local_prekeys.h"
#include "crypto/peer_sessions.h"
#include "crypto/ratchet_session.h"
#include "crypto/sender_key.h"
#include "e2ee_fixture.h"

namespace {

template <typename T>
void check_stable(const T& loaded) {
  const fastchat::crypto::SecretBytes once = loaded.serialize();
  auto again = T::deserialize(once.view());
  if (!again || again->serialize().view() != once.view()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fastchat;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto& f = fuzz::E2eeFixture::get();
  if (auto s = crypto::RatchetSession::deserialize(input)) {
    check_stable(*s);
    (void)s->encrypt("x");
  }
  if (auto s = crypto::PeerSessions::deserialize(input)) {
    check_stable(*s);
    (void)s->encrypt("x");
    (void)s->decrypt({f.bob_id, f.bob}, f.bob_prekeys, *f.alice_to_bob.encrypt("y"),
                     fuzz::kFuzzNow);
  }
  if (auto s = crypto::LocalPrekeys::deserialize(input)) check_stable(*s);
  if (auto s = crypto::SenderKeySender::deserialize(input)) {
    check_stable(*s);
    (void)s->encrypt("x");
  }
  if (auto s = crypto::SenderKeyReceiver::deserialize(input)) {
    check_stable(*s);
    (void)s->decrypt(*f.group_sender.encrypt("y"), fuzz::kFuzzNow);
  }
  return 0;
}
