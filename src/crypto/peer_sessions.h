// All Double Ratchet sessions with one peer device, and the rule that picks the one to
// send on. Sessions are opened by us (start) or by the peer (a prekey message); several
// can exist at once (both sides started at the same time, or the peer started over), so
// up to kMaxSessions are kept and decryption tries each, the active one first.
//
// Which session is active (docs/e2ee-v2.md, "Which session we send on"), as in Signal:
// a session the peer opens becomes active, and so does any session a message from the
// peer decrypts on. Either way we send on a session the peer has, and two sides that
// started at once converge on one session after a message that does not cross.
//
// The peer's identity keys are fixed at construction: a bundle or prekey message under
// other keys is refused (a key change is never silent; the caller decides). Value type;
// not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/device_address.h"
#include "crypto/identity.h"
#include "crypto/local_prekeys.h"
#include "crypto/ratchet_session.h"
#include "crypto/x3dh.h"

namespace fastchat::crypto {

// This device, as the peer sessions need it.
struct LocalDevice {
  const Identity& identity;
  DeviceAddress address;
};

class PeerSessions {
 public:
  static constexpr std::size_t kMaxSessions = 4;

  PeerSessions(DeviceAddress peer, std::string peer_sign_key, std::string peer_dh_key);

  // Opens a session from a bundle of the peer and makes it active. kCrypto when the
  // bundle is forged, for another device, or under another identity.
  Status start(const LocalDevice& me, const PrekeyBundle& bundle);

  // kNotFound when there is no session yet (fetch a bundle and start()).
  Result<std::string> encrypt(std::string_view plaintext);

  // A prekey message or a ratchet message from the peer. A prekey message that opens a
  // new session consumes its one-time prekey from `prekeys` (only once it decrypted).
  // kCrypto when nothing decrypts it (tampered, replayed, unknown prekey, other identity).
  Result<std::string> decrypt(const LocalDevice& me, LocalPrekeys& prekeys,
                              std::string_view message, std::int64_t now_ms);

  bool has_session() const { return !sessions_.empty(); }
  std::size_t session_count() const { return sessions_.size(); }
  // The active session's base key (empty when none): which session we send on.
  std::string active_base_key() const;
  const DeviceAddress& peer() const { return peer_; }
  // The peer identity the sessions are bound to.
  bool is_for(std::string_view sign_key, std::string_view dh_key) const {
    return sign_key == peer_sign_key_ && dh_key == peer_dh_key_;
  }
  const std::string& peer_sign_key() const { return peer_sign_key_; }

  // Versioned, length-checked; kCrypto on malformed input.
  SecretBytes serialize() const;
  static Result<PeerSessions> deserialize(std::string_view bytes);

 private:
  Result<std::string> decrypt_prekey(const LocalDevice& me, LocalPrekeys& prekeys,
                                     std::string_view bytes, std::int64_t now_ms);
  Result<std::string> decrypt_ratchet(std::string_view bytes, std::int64_t now_ms);
  void add_opened_by_peer(RatchetSession session);
  void promote(std::size_t index);  // makes sessions_[index] the active one
  void trim();

  DeviceAddress peer_;
  std::string peer_sign_key_, peer_dh_key_;
  std::vector<RatchetSession> sessions_;  // [0] is active
};

}  // namespace fastchat::crypto
