#include "scenarios.h"

#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "bench_connection.h"
#include "server/server.h"

namespace fastchat::bench {

std::size_t loop_count(const BenchOptions& options) {
  if (options.loops > 0) return options.loops;
  return std::max(1u, std::thread::hardware_concurrency());
}

RunReport new_report(const BenchOptions& o) {
  RunReport r;
  r.scenario = o.scenario;
  r.command_line = o.command_line;
  utsname u{};
  uname(&u);
  r.machine = fmt::format("{} cores, Linux {}", std::thread::hardware_concurrency(), u.release);
  r.settings = {{"server", o.in_process_server ? "in-process" : o.server.to_string()},
                {"transport", o.insecure_plaintext ? "plaintext" : "TLS 1.3"},
                {"users", std::to_string(o.users)},
                {"payload", std::to_string(o.payload)},
                {"loops", std::to_string(loop_count(o))}};
  return r;
}

Result<RunReport> run_scenario(BenchOptions options) {
  if (Status s = set_transport(options.insecure_plaintext); !s) return s;
  std::unique_ptr<server::Server> local;
  std::string temp_dir;
  if (options.in_process_server) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "fastchat-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) return Status(Code::kIo, "mkdtemp failed");
    temp_dir = pattern;
    server::ServerConfig config;
    config.listen_port = 0;
    config.data_dir = temp_dir;
    config.insecure_plaintext = options.insecure_plaintext;
    local = std::make_unique<server::Server>(config);
    if (Status s = local->start(); !s) return s;
    options.server = {"127.0.0.1", local->port()};
    if (options.server_pid == 0) options.server_pid = getpid();
  }
  Result<RunReport> report = Status(Code::kBadRequest, "unknown scenario '" + options.scenario +
                                                           "' (dm, group, login, offline, idle, "
                                                           "balance)");
  if (options.scenario == "dm" || options.scenario == "group" || options.scenario == "balance") {
    report = run_messages(options);
  } else if (options.scenario == "login") {
    report = run_login(options);
  } else if (options.scenario == "offline") {
    report = run_offline(options);
  } else if (options.scenario == "idle") {
    report = run_idle(options);
  }
  if (local) {
    local->stop();
    local.reset();
    std::error_code ec;
    std::filesystem::remove_all(temp_dir, ec);
    if (report)
      report->notes.push_back("server ran in-process: its CPU and RSS include the bench's");
  }
  return report;
}

}  // namespace fastchat::bench
