// Linked into the *_cluster_test executables only (tests/integration/CMakeLists.txt):
// before main(), it switches ServerTest and the tests that ask cluster_mode() from one
// in-process server to a cluster of TestCluster::kClusterSize servers.
#include "test_cluster.h"

namespace {

[[maybe_unused]] const bool kClusterModeOn = (fastchat::itest::set_cluster_mode(true), true);

}  // namespace
