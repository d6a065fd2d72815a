// libsodium must be initialised once per process before any primitive is used.
#pragma once

namespace fastchat::crypto {

// Safe to call many times and from many threads; aborts if libsodium cannot start.
void ensure_sodium();

}  // namespace fastchat::crypto
