#include "message_crypto.h"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>
#include <unordered_set>

#include "client/content.h"
#include "crypto/local_prekeys.h"
#include "crypto/peer_sessions.h"
#include "crypto/sender_key.h"

namespace fastchat::bench {

namespace {

// Every bench user has one device, as every client has today (client::Client kDeviceId).
constexpr std::uint32_t kDeviceId = 1;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The serialized content is plaintext: wiped once sealed.
void wipe(std::string& plain) {
  if (!plain.empty()) sodium_memzero(plain.data(), plain.size());
}

}  // namespace

Result<E2ee> parse_e2ee(std::string_view name) {
  if (name == "v1") return E2ee::kV1;
  if (name == "v2") return E2ee::kV2;
  return Status(Code::kBadRequest, "--e2ee must be v1 or v2");
}

const char* e2ee_name(E2ee version) {
  return version == E2ee::kV1 ? "v1" : "v2";
}

struct MessageCrypto::Device {
  crypto::DeviceAddress address;
  crypto::LocalPrekeys prekeys;
  crypto::SignedPrekey signed_prekey;
};

struct MessageCrypto::Group {
  struct Plan {  // v1: one sender's recipients, in member order without the sender
    std::vector<const crypto::SharedKey*> keys;
    std::vector<std::string> usernames;
  };
  std::uint64_t membership_seq = 0;
  std::unordered_map<std::uint32_t, Plan> plans;                      // v1
  std::unordered_map<std::uint32_t, crypto::SenderKeySender> chains;  // v2, by sender
  // v2, by (receiver, sender): the sender's chain as the receiver holds it.
  std::unordered_map<std::uint64_t, crypto::SenderKeyReceiver> received;
};

MessageCrypto::MessageCrypto(E2ee version, const std::vector<BenchAccount>& accounts)
    : version_(version), accounts_(accounts) {}

MessageCrypto::~MessageCrypto() = default;

std::size_t MessageCrypto::sessions() const {
  return version_ == E2ee::kV1 ? pair_keys_.size() : sessions_.size() / 2;
}

Status MessageCrypto::add_pairs(const std::vector<std::pair<std::uint32_t, std::uint32_t>>& pairs,
                                std::size_t threads) {
  if (version_ == E2ee::kV1) return pair_keys_.add(accounts_, pairs, threads);
  return add_sessions(pairs, threads);
}

Status MessageCrypto::add_sessions(
    const std::vector<std::pair<std::uint32_t, std::uint32_t>>& pairs, std::size_t threads) {
  // The lower index starts each session (X3DH initiator), the higher answers.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> todo;
  std::unordered_set<std::uint64_t> seen;
  for (auto [a, b] : pairs) {
    if (a == b) continue;
    if (a > b) std::swap(a, b);
    if (sessions_.contains(ordered(a, b)) || !seen.insert(ordered(a, b)).second) continue;
    todo.emplace_back(a, b);
  }
  devices_.resize(accounts_.size());
  for (auto [a, b] : todo) {
    for (std::uint32_t i : {a, b}) {
      if (devices_[i]) continue;
      devices_[i] = std::make_unique<Device>();
      devices_[i]->address = {accounts_[i].username, kDeviceId};
      devices_[i]->signed_prekey = devices_[i]->prekeys.rotate_signed(accounts_[i].identity);
    }
  }
  struct Opened {
    std::unique_ptr<crypto::PeerSessions> initiator, responder;
    Status status;
  };
  std::vector<Opened> out(todo.size());
  // A responder's prekeys change as it answers (it remembers base keys): each worker
  // takes the pairs of its own responders.
  threads = std::max<std::size_t>(1, std::min(threads, todo.size() / 64 + 1));
  std::vector<std::thread> workers;
  for (std::size_t t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      crypto::LocalPrekeys unused;  // the initiator decrypts a ratchet message: no prekeys
      for (std::size_t i = 0; i < todo.size(); ++i) {
        const auto [a, b] = todo[i];
        if (b % threads != t) continue;
        Device& da = *devices_[a];
        Device& db = *devices_[b];
        const crypto::LocalDevice me_a{accounts_[a].identity, da.address};
        const crypto::LocalDevice me_b{accounts_[b].identity, db.address};
        auto initiator = std::make_unique<crypto::PeerSessions>(
            db.address, std::string(accounts_[b].identity.sign_public_key()),
            std::string(accounts_[b].identity.box_public_key()));
        auto responder = std::make_unique<crypto::PeerSessions>(
            da.address, std::string(accounts_[a].identity.sign_public_key()),
            std::string(accounts_[a].identity.box_public_key()));
        const crypto::PrekeyBundle bundle{
            db.address, std::string(accounts_[b].identity.sign_public_key()),
            std::string(accounts_[b].identity.box_public_key()), db.signed_prekey, std::nullopt};
        Status s = initiator->start(me_a, bundle);
        // One round trip, so that both sides send ratchet messages from now on.
        Result<std::string> hello = s ? initiator->encrypt("hello") : Result<std::string>(s);
        Result<std::string> opened = hello ? responder->decrypt(me_b, db.prekeys, *hello, now_ms())
                                           : Result<std::string>(hello.status());
        Result<std::string> reply =
            opened ? responder->encrypt("hello") : Result<std::string>(opened.status());
        Result<std::string> answered = reply ? initiator->decrypt(me_a, unused, *reply, now_ms())
                                             : Result<std::string>(reply.status());
        out[i] = {std::move(initiator), std::move(responder), answered.status()};
      }
    });
  }
  for (auto& w : workers)
    w.join();
  sessions_.reserve(sessions_.size() + 2 * todo.size());
  for (std::size_t i = 0; i < todo.size(); ++i) {
    if (!out[i].status) return out[i].status;
    const auto [a, b] = todo[i];
    sessions_.emplace(ordered(a, b), std::move(out[i].initiator));
    sessions_.emplace(ordered(b, a), std::move(out[i].responder));
  }
  return Status::ok();
}

Status MessageCrypto::add_group(GroupId id, const std::vector<std::uint32_t>& members,
                                const std::vector<std::uint32_t>& senders,
                                std::uint64_t membership_seq) {
  auto group = std::make_unique<Group>();
  group->membership_seq = membership_seq;
  for (std::uint32_t sender : senders) {
    if (version_ == E2ee::kV1) {
      auto& plan = group->plans[sender];
      for (std::uint32_t m : members) {
        if (m == sender) continue;
        const auto* key = pair_keys_.find(sender, m);
        if (key == nullptr) return Status(Code::kInternal, "no pair key for a group member");
        plan.keys.push_back(key);
        plan.usernames.push_back(accounts_[m].username);
      }
      continue;
    }
    const crypto::DeviceAddress address{accounts_[sender].username, kDeviceId};
    auto chain = crypto::SenderKeySender::generate(client::sender_key_group_id(id), address);
    const crypto::SenderKeyDistribution distribution = chain.distribution();
    for (std::uint32_t m : members) {
      if (m == sender) continue;
      auto [it, added] =
          group->received.try_emplace(ordered(m, sender), client::sender_key_group_id(id), address);
      if (!added) continue;
      if (Status s = it->second.add(distribution); !s) return s;
    }
    group->chains.emplace(sender, std::move(chain));
  }
  groups_[id] = std::move(group);
  return Status::ok();
}

Status MessageCrypto::seal_direct(std::uint32_t from, std::uint32_t to,
                                  const wire::Content& content, wire::Send& send) {
  if (version_ == E2ee::kV1) {
    const auto* key = pair_keys_.find(from, to);
    if (key == nullptr) return Status(Code::kNotFound, "no pair key");
    send.set_body(client::seal_direct_content(*key, content));
    return Status::ok();
  }
  auto it = sessions_.find(ordered(from, to));
  if (it == sessions_.end()) return Status(Code::kNotFound, "no ratchet session");
  std::string plain = content.SerializeAsString();
  auto body = it->second->encrypt(plain);
  wipe(plain);
  if (!body) return body.status();
  send.set_body(std::move(*body));
  return Status::ok();
}

Status MessageCrypto::seal_group(GroupId id, std::uint32_t from, wire::Content& content,
                                 wire::Send& send) {
  auto g = groups_.find(id);
  if (g == groups_.end()) return Status(Code::kUnknownGroup, "not a bench group");
  Group& group = *g->second;
  send.set_group_id(id);
  if (version_ == E2ee::kV1) {
    auto plan = group.plans.find(from);
    if (plan == group.plans.end()) return Status(Code::kNotFound, "not a sender of the group");
    auto sealed = client::seal_group_content(plan->second.keys, content);
    send.set_body(std::move(sealed.body));
    for (std::size_t i = 0; i < sealed.wraps.size(); ++i) {
      auto* wrap = send.add_key_wraps();
      wrap->set_username(plan->second.usernames[i]);
      wrap->set_sealed_key(std::move(sealed.wraps[i]));
    }
    return Status::ok();
  }
  auto chain = group.chains.find(from);
  if (chain == group.chains.end()) return Status(Code::kNotFound, "not a sender of the group");
  content.set_membership_seq(group.membership_seq);
  std::string plain = content.SerializeAsString();
  auto body = chain->second.encrypt(plain);
  wipe(plain);
  if (!body) return body.status();
  send.set_body(std::move(*body));
  send.set_membership_seq(group.membership_seq);
  return Status::ok();
}

Result<wire::Content> MessageCrypto::open(std::uint32_t me, std::uint32_t sender,
                                          const wire::InboxMessage& item) {
  const std::string& username = accounts_[me].username;
  if (version_ == E2ee::kV1) {
    const auto* key = pair_keys_.find(me, sender);
    if (key == nullptr) return Status(Code::kNotFound, "no pair key");
    return client::open_content(*key, item, username);
  }
  Result<std::string> plain = Status(Code::kCrypto, "no body");
  if (item.group_id() == 0) {
    if (!client::is_ratchet_body(item.body())) return Status(Code::kCrypto, "not a v2 body");
    auto it = sessions_.find(ordered(me, sender));
    if (it == sessions_.end()) return Status(Code::kNotFound, "no ratchet session");
    Device& device = *devices_[me];
    plain = it->second->decrypt(crypto::LocalDevice{accounts_[me].identity, device.address},
                                device.prekeys, item.body(), now_ms());
  } else {
    if (!client::is_sender_key_body(item.body())) return Status(Code::kCrypto, "not a v2 body");
    auto g = groups_.find(item.group_id());
    if (g == groups_.end()) return Status(Code::kNotFound, "not a bench group");
    auto it = g->second->received.find(ordered(me, sender));
    if (it == g->second->received.end()) return Status(Code::kNotFound, "no sender key");
    plain = it->second.decrypt(item.body(), now_ms());
  }
  if (!plain) return plain.status();
  auto content = client::checked_content(*plain, item, username);
  wipe(*plain);
  return content;
}

}  // namespace fastchat::bench
