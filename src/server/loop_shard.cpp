#include "server/loop_shard.h"

namespace fastchat::server {

namespace {
thread_local LoopShard* current_shard = nullptr;
}

LoopShard* LoopShard::current() {
  return current_shard;
}

void LoopShard::make_current() {
  current_shard = this;
}

}  // namespace fastchat::server
