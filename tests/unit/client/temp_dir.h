// A fresh directory under the test temp dir, removed with everything in it.
#pragma once

#include "support/temp_dir.h"

namespace fastchat::client::testing {

using TempDir = test_support::TempDir;

}  // namespace fastchat::client::testing
