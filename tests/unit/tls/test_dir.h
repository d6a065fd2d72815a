// A fresh temporary directory for a TLS unit test, removed with its content.
#pragma once

#include "support/temp_dir.h"

namespace fastchat::tls::test {

using TestDir = test_support::TempDir;

}  // namespace fastchat::tls::test
