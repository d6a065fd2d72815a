#include "accounts.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "common/hex.h"
#include "crypto/keystore.h"
#include "crypto/password.h"
#include "crypto/sodium_init.h"

namespace fastchat::bench {

namespace {

struct Line {
  std::string secret_hex, seed_hex, server, token_hex;
};

std::map<std::string, Line> read_lines(const std::string& path) {
  std::map<std::string, Line> lines;
  std::ifstream in(path);
  std::string text;
  while (std::getline(in, text)) {
    if (text.empty() || text[0] == '#') continue;
    std::istringstream fields(text);
    std::string name;
    Line line;
    std::getline(fields, name, '\t');
    std::getline(fields, line.secret_hex, '\t');
    std::getline(fields, line.seed_hex, '\t');
    std::getline(fields, line.server, '\t');
    std::getline(fields, line.token_hex, '\t');
    if (!name.empty()) lines[name] = std::move(line);
  }
  return lines;
}

std::optional<BenchAccount> parse(const std::string& name, const Line& line) {
  auto secret = from_hex(line.secret_hex);
  auto seed = from_hex(line.seed_hex);
  auto token = from_hex(line.token_hex);
  if (!secret || !seed || seed->size() != 32 || !token) return std::nullopt;
  auto identity = crypto::Identity::from_secret(*secret);
  if (!identity) return std::nullopt;
  BenchAccount account{name, std::move(*identity), crypto::SecretBytes(*seed), line.server,
                       std::move(*token)};
  return account;
}

}  // namespace

std::string bench_username(std::size_t index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "bench%06zu", index);
  return buf;
}

std::string bench_password(std::size_t index) {
  return "bench-password-" + std::to_string(index);
}

long bench_index(std::string_view username) {
  if (username.size() < 6 || username.substr(0, 5) != "bench") return -1;
  long value = -1;
  auto [ptr, ec] = std::from_chars(username.data() + 5, username.data() + username.size(), value);
  if (ec != std::errc() || ptr != username.data() + username.size()) return -1;
  return value;
}

Result<std::vector<BenchAccount>> AccountCache::prepare(std::size_t count, std::size_t threads,
                                                        std::size_t* created) {
  crypto::ensure_sodium();
  auto lines = read_lines(file());
  std::vector<std::optional<BenchAccount>> slots(count);
  std::vector<std::size_t> missing;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string name = bench_username(i);
    if (auto it = lines.find(name); it != lines.end()) slots[i] = parse(name, it->second);
    if (!slots[i]) missing.push_back(i);
  }
  if (created != nullptr) *created = missing.size();
  if (!missing.empty()) {
    threads = std::max<std::size_t>(1, threads);
    std::vector<std::thread> workers;
    for (std::size_t t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        for (std::size_t k = t; k < missing.size(); k += threads) {
          const std::size_t i = missing[k];
          const std::string name = bench_username(i);
          auto keys = crypto::derive_password_keys(name, bench_password(i));
          slots[i] =
              BenchAccount{name, crypto::Identity::generate(), std::move(keys.login_seed), "", ""};
        }
      });
    }
    for (auto& w : workers)
      w.join();
  }
  std::vector<BenchAccount> accounts;
  accounts.reserve(count);
  for (auto& slot : slots)
    accounts.push_back(std::move(*slot));
  if (!missing.empty()) {
    if (Status s = save(accounts); !s) return s;
  }
  return accounts;
}

Status AccountCache::save(const std::vector<BenchAccount>& accounts) {
  std::error_code ec;
  std::filesystem::create_directories(home_, ec);
  if (ec) return Status(Code::kIo, "cannot create " + home_ + ": " + ec.message());
  auto lines = read_lines(file());
  for (const auto& a : accounts) {
    lines[a.username] = Line{to_hex(a.identity.serialize_secret().view()),
                             to_hex(a.login_seed.view()), a.server, to_hex(a.token)};
  }
  std::string text =
      "# fastchat-bench accounts: username, identity secret, login seed, server, token\n";
  for (const auto& [name, line] : lines) {
    text += name + '\t' + line.secret_hex + '\t' + line.seed_hex + '\t' + line.server + '\t' +
            line.token_hex + '\n';
  }
  return crypto::write_private_file(file(), text);
}

}  // namespace fastchat::bench
