// Chooses and opens a Store backend from a location: a "postgresql://…" URL, or a
// data directory for the embedded SQLite store.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "store/store.h"

namespace fastchat::store {

Result<std::unique_ptr<Store>> open_store(const std::string& db_url, const std::string& data_dir);

}  // namespace fastchat::store
