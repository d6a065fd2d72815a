// Unsigned counts and ids as SQL's signed 64-bit integers. Pure; thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

namespace fastchat::store {

inline constexpr std::int64_t kMaxSqlInt64 = std::numeric_limits<std::int64_t>::max();

// `value`, or INT64_MAX where it is larger (a limit or cursor past every stored row).
template <typename T>
std::int64_t clamp_to_int64(T value) {
  return static_cast<std::int64_t>(std::min<std::uint64_t>(value, kMaxSqlInt64));
}

// Group ids are unsigned, SQL integers signed: ids past INT64_MAX never exist.
inline bool storable_group_id(std::uint64_t id) {
  return id != 0 && id <= static_cast<std::uint64_t>(kMaxSqlInt64);
}

}  // namespace fastchat::store
