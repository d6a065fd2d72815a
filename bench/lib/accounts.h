// Bench accounts, prepared once and reused between runs: each bench user's identity,
// its password-derived login seed (one real Argon2id per user, ever) and the session
// token of the server it last logged in to, cached in <home>/accounts-v2.tsv (0600;
// v2: login seeds, where accounts.tsv held auth keys).
// A later run resumes with the token; on a fresh server it logs in or registers
// again with the cached keys, without another Argon2id.
//
// Thread safety: AccountCache is used from one thread; a BenchAccount belongs to
// the event loop that drives its user.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/status.h"
#include "crypto/identity.h"
#include "crypto/secret.h"

namespace fastchat::bench {

struct BenchAccount {
  std::string username;
  crypto::Identity identity;
  crypto::SecretBytes login_seed;  // of the login key pair (crypto/login_proof.h)
  std::string server;              // "host:port" the token belongs to
  std::string token;               // raw session token bytes; empty if none
};

// "bench" + 6 digits; the password is derived from the index (it is a test account).
std::string bench_username(std::size_t index);
std::string bench_password(std::size_t index);
// The account index encoded in a bench username, or -1.
long bench_index(std::string_view username);

class AccountCache {
 public:
  explicit AccountCache(std::string home_dir) : home_(std::move(home_dir)) {}

  // Accounts 0..count-1: cached ones are loaded, missing ones created (identity and
  // Argon2id on `threads` threads). Sets *created to how many were new.
  Result<std::vector<BenchAccount>> prepare(std::size_t count, std::size_t threads,
                                            std::size_t* created = nullptr);
  // Writes `accounts` back (merging with accounts beyond them already cached).
  Status save(const std::vector<BenchAccount>& accounts);

  std::string file() const { return home_ + "/accounts-v2.tsv"; }

 private:
  std::string home_;
};

}  // namespace fastchat::bench
