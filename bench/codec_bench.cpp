// Frame codec micro-benchmarks: encoding a Send and an InboxMessage push the way the
// client and server do (append_frame into one coalesced buffer), and decoding a
// stream of them (FrameDecoder, parse into a reused Frame).
#include <benchmark/benchmark.h>

#include <string>

#include "protocol/frame_codec.h"

namespace fastchat::protocol {
namespace {

wire::Frame make_send(std::size_t body) {
  wire::Frame frame;
  frame.set_request_id(123456);
  auto* send = frame.mutable_send();
  send->set_message_id(std::string(16, 'i'));
  send->set_user("bench000042");
  send->set_body(std::string(body, 'b'));
  return frame;
}

wire::Frame make_push(std::size_t body) {
  wire::Frame frame;
  auto* m = frame.mutable_message();
  m->set_seq(987654);
  m->set_message_id(std::string(16, 'i'));
  m->set_sender("bench000042");
  m->set_body(std::string(body, 'b'));
  m->set_server_time_ms(1'700'000'000'000);
  return frame;
}

void BM_EncodeSend(benchmark::State& state) {
  const auto frame = make_send(static_cast<std::size_t>(state.range(0)));
  std::string out;
  for (auto _ : state) {
    out.clear();
    append_frame(out, frame);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(out.size()));
}
BENCHMARK(BM_EncodeSend)->Arg(200)->Arg(1000)->Arg(16 * 1024);

void BM_EncodePushShared(benchmark::State& state) {
  // What the server does per delivery: one encode_frame into a shared string.
  const auto frame = make_push(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto bytes = encode_frame(frame);
    benchmark::DoNotOptimize(bytes.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodePushShared)->Arg(200)->Arg(1000);

void BM_DecodeStream(benchmark::State& state) {
  // 256 pushes in one buffer, fed as one read, decoded into a reused Frame.
  const auto frame = make_push(static_cast<std::size_t>(state.range(0)));
  std::string stream;
  for (int i = 0; i < 256; ++i)
    append_frame(stream, frame);
  wire::Frame out;
  for (auto _ : state) {
    FrameDecoder decoder;
    decoder.feed(stream);
    int n = 0;
    while (decoder.next(out) == FrameDecoder::Next::kFrame) {
      ++n;
      out.Clear();
    }
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(state.iterations() * 256);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(stream.size()));
}
BENCHMARK(BM_DecodeStream)->Arg(200)->Arg(1000);

}  // namespace
}  // namespace fastchat::protocol
