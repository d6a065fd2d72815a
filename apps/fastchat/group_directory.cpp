#include "group_directory.h"

namespace fastchat::cli {

asio::awaitable<std::string> GroupDirectory::name(GroupId id) {
  if (auto it = names_.find(id); it != names_.end()) co_return it->second;
  if (!refreshed_for_[id]) {
    refreshed_for_[id] = true;
    auto groups = co_await client_.list_groups();
    if (groups) {
      for (const auto& group : *groups)
        remember(group);
    }
    if (auto it = names_.find(id); it != names_.end()) co_return it->second;
  }
  co_return std::string();
}

asio::awaitable<Result<GroupId>> GroupDirectory::resolve(std::string_view text) {
  if (!text.empty() && text.front() == '#') text.remove_prefix(1);
  if (text.empty()) co_return Result<GroupId>(Code::kBadRequest, "empty group name");
  co_return co_await client_.resolve_group(text);
}

}  // namespace fastchat::cli
