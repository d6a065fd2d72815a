#include "common/secret_url.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

namespace fastchat {
namespace {

bool has_password_parameter(std::string_view text) {
  for (std::size_t at = text.find("password="); at != std::string_view::npos;
       at = text.find("password=", at + 1)) {
    // A parameter name starts the text or follows a separator ('?', '&', space).
    if (at == 0 || text[at - 1] == '?' || text[at - 1] == '&' || text[at - 1] == ' ') return true;
  }
  return false;
}

Result<std::string> read_url_file(const SecretUrlSources& sources) {
  struct stat info {};
  if (::stat(sources.file.c_str(), &info) != 0) {
    return Status(Code::kIo, sources.option + "-file: cannot read " + sources.file);
  }
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return Status(Code::kBadRequest, sources.option + "-file: " + sources.file +
                                         " can be read by other users; chmod 600 it");
  }
  std::ifstream in(sources.file);
  std::string url;
  if (!in || !std::getline(in, url)) {
    return Status(Code::kIo, sources.option + "-file: cannot read " + sources.file);
  }
  while (!url.empty() && (url.back() == '\r' || url.back() == ' ' || url.back() == '\t'))
    url.pop_back();
  if (url.empty())
    return Status(Code::kBadRequest, sources.option + "-file: " + sources.file + " is empty");
  return url;
}

}  // namespace

bool url_has_password(std::string_view url) {
  if (has_password_parameter(url)) return true;
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return false;
  const std::string_view rest = url.substr(scheme_end + 3);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  const std::size_t at = authority.rfind('@');
  return at != std::string_view::npos &&
         authority.substr(0, at).find(':') != std::string_view::npos;
}

Result<std::string> resolve_secret_url(const SecretUrlSources& sources) {
  const char* env = sources.env_name.empty() ? nullptr : std::getenv(sources.env_name.c_str());
  const std::string from_env = env ? env : "";
  const int given = !sources.command_line.empty() + !sources.file.empty() + !from_env.empty();
  if (given > 1) {
    return Status(Code::kBadRequest, "give " + sources.option + ", " + sources.option +
                                         "-file or " + sources.env_name + ", not several");
  }
  if (!sources.file.empty()) return read_url_file(sources);
  if (!from_env.empty()) return from_env;
  if (url_has_password(sources.command_line)) {
    return Status(Code::kBadRequest, sources.option +
                                         ": a password on the command line is visible to every "
                                         "user of this machine; put the URL in " +
                                         sources.option + "-file FILE or " + sources.env_name);
  }
  return sources.command_line;
}

}  // namespace fastchat
