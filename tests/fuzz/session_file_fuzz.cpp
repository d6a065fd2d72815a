// Fuzzes loading the client's session file (client/home.h), which may be corrupt or
// planted: what loads saves and loads again to the same session.
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "client/home.h"
#include "common/username.h"
#include "scratch_dir.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fastchat;
  const auto& dir = fuzz::scratch_dir("session_file_fuzz");
  const std::string path = (dir / "session").string();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auto session = client::load_session(path);
  if (!session) return 0;
  if (!is_canonical_username(session->username)) std::abort();
  const std::string again_path = (dir / "again").string();
  if (!client::save_session(again_path, *session)) std::abort();
  auto again = client::load_session(again_path);
  if (!again || again->username != session->username || again->server != session->server ||
      !again->session_token.equals(session->session_token.view()) ||
      !again->data_key.equals(session->data_key.view()) ||
      // A key in the file wins over a reference (only one of them is written).
      (session->data_key.empty() && again->data_key_ref != session->data_key_ref)) {
    std::abort();
  }
  return 0;
}
