// Fuzzes the decoders of what a server reads from Redis pub/sub (cluster/redis_schema.h):
// deliveries on fc:srv:<id> and control messages on fc:presence (presence, resync,
// session revocation). Whatever they accept re-encodes to a payload they decode alike.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cluster/redis_schema.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace schema = fastchat::cluster::schema;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  if (auto delivery = schema::decode_delivery(input)) {
    if (schema::encode_delivery(delivery->recipient, delivery->seq, delivery->frame) != input) {
      std::abort();
    }
  }

  const schema::ControlMessage control = schema::decode_control(input);
  const int kinds = int{control.presence.has_value()} + int{control.resync.has_value()} +
                    int{control.revocation.has_value()};
  if (kinds > 1) std::abort();
  if (control.presence) {
    const auto& p = *control.presence;
    if (!schema::valid_server_id(p.server_id) || p.username.empty()) std::abort();
  }
  if (control.resync) {
    const auto again = schema::decode_control(schema::encode_resync(control.resync->server_id));
    if (!again.resync || again.resync->server_id != control.resync->server_id) std::abort();
  }
  if (control.revocation) {
    const auto& r = *control.revocation;
    const auto again =
        schema::decode_control(schema::encode_revocation(r.user, r.session_id, r.all_but));
    if (!again.revocation || again.revocation->user != r.user ||
        again.revocation->session_id != r.session_id || again.revocation->all_but != r.all_but) {
      std::abort();
    }
  }
  return 0;
}
