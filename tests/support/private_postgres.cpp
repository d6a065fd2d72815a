#include "support/private_postgres.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fastchat::test_support {
namespace {

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

}  // namespace

PrivatePostgres::PrivatePostgres() : port_(free_port()) {
  char pattern[] = "/tmp/fastchat-pg-XXXXXX";
  if (char* made = ::mkdtemp(pattern)) dir_ = made;
  // When we are root the script runs the server as the postgres user, who must reach it.
  ::chmod(dir_.c_str(), 0755);
}

PrivatePostgres::~PrivatePostgres() {
  run("stop postgres");
  std::error_code ignored;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
}

bool PrivatePostgres::run(const std::string& args) {
  if (dir_.empty()) return false;
  const std::string command = "FASTCHAT_SERVICES_DIR='" + dir_ + "/services' " +
                              "FASTCHAT_PG_PORT=" + std::to_string(port_) + " '" +
                              FASTCHAT_SOURCE_DIR + "/scripts/test-services.sh' " + args +
                              " >/dev/null 2>>'" + dir_ + "/script.log'";
  return std::system(command.c_str()) == 0;
}

std::string PrivatePostgres::url() const {
  return "postgresql://fastchat@127.0.0.1:" + std::to_string(port_) + "/fastchat_test";
}

std::string PrivatePostgres::log() const {
  std::ifstream in(dir_ + "/script.log");
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace fastchat::test_support
