// Runs a fuzz target over every file of a corpus directory (and over a few thousand
// deterministic mutations of each), so fuzzers run under ctest without clang.
// Usage: TARGET CORPUS_DIR [MUTATIONS_PER_SEED]   (default 2000)
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR [MUTATIONS_PER_SEED]\n", argv[0]);
    return 2;
  }
  const int mutations = argc == 3 ? std::atoi(argv[2]) : 2000;
  std::mt19937 rng(42);
  std::size_t runs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(argv[1])) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::vector<std::uint8_t> seed((std::istreambuf_iterator<char>(in)), {});
    LLVMFuzzerTestOneInput(seed.data(), seed.size());
    ++runs;
    for (int i = 0; i < mutations; ++i) {
      std::vector<std::uint8_t> input = seed;
      const int edits = 1 + static_cast<int>(rng() % 8);
      for (int e = 0; e < edits; ++e) {
        switch (rng() % 4) {
          case 0:  // flip a byte
            if (!input.empty()) input[rng() % input.size()] ^= static_cast<std::uint8_t>(rng());
            break;
          case 1:  // truncate
            if (!input.empty()) input.resize(rng() % input.size());
            break;
          case 2:  // insert a byte
            input.insert(
                input.begin() + static_cast<long>(input.empty() ? 0 : rng() % input.size()),
                static_cast<std::uint8_t>(rng()));
            break;
          default:  // duplicate a slice
            if (!input.empty()) {
              const std::size_t from = rng() % input.size();
              const std::size_t len = std::min<std::size_t>(input.size() - from, rng() % 64);
              std::vector<std::uint8_t> slice(input.begin() + static_cast<long>(from),
                                              input.begin() + static_cast<long>(from + len));
              input.insert(input.end(), slice.begin(), slice.end());
            }
        }
      }
      LLVMFuzzerTestOneInput(input.data(), input.size());
      ++runs;
    }
  }
  std::printf("%zu inputs ran without a crash\n", runs);
  return runs > 0 ? 0 : 1;
}
