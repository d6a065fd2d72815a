#include "client/files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/test_files.h"
#include "temp_dir.h"

namespace fastchat::client {
namespace {

using fastchat::test_support::read_file;

std::vector<wire::FileChunk> split(const std::string& data, std::size_t chunk_size,
                                   const std::string& name) {
  const std::string file_id = MessageId::random().to_bytes();
  const auto count = static_cast<std::uint32_t>(
      std::max<std::size_t>(1, (data.size() + chunk_size - 1) / chunk_size));
  std::vector<wire::FileChunk> chunks;
  for (std::uint32_t i = 0; i < count; ++i) {
    wire::FileChunk c;
    c.set_file_id(file_id);
    c.set_name(name);
    c.set_total_size(data.size());
    c.set_index(i);
    c.set_count(count);
    c.set_data(data.substr(i * chunk_size, chunk_size));
    chunks.push_back(std::move(c));
  }
  return chunks;
}

class FileAssemblerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = HistoryStore::open(":memory:", crypto::HistoryBox(crypto::Identity::generate()));
    ASSERT_TRUE(store);
    store_ = std::move(*store);
  }
  testing::TempDir dir_;
  std::unique_ptr<HistoryStore> store_;
};

TEST_F(FileAssemblerTest, AssemblesChunksInAnyOrderOnce) {
  std::string data;
  for (int i = 0; i < 10'000; ++i)
    data.push_back(static_cast<char>(i * 7));
  auto chunks = split(data, 3000, "report.pdf");
  ASSERT_EQ(chunks.size(), 4u);
  FileAssembler files(dir_.file("downloads"), *store_);
  for (std::size_t i : {2u, 0u, 3u}) {
    auto r = files.add("alice", chunks[i]);
    ASSERT_TRUE(r) << r.status().to_string();
    EXPECT_FALSE(r->has_value());
  }
  EXPECT_FALSE(files.add("alice", chunks[0])->has_value());  // a resent chunk
  auto done = files.add("alice", chunks[1]);
  ASSERT_TRUE(done);
  ASSERT_TRUE(done->has_value());
  EXPECT_EQ((*done)->name, "report.pdf");
  EXPECT_EQ((*done)->size, data.size());
  EXPECT_EQ((*done)->path, dir_.file("downloads") + "/report.pdf");
  EXPECT_EQ(read_file((*done)->path), data);
  struct stat st {};
  ASSERT_EQ(::stat((*done)->path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(FileAssemblerTest, SameNameGetsANewFile) {
  FileAssembler files(dir_.path(), *store_);
  auto a = files.add("alice", split("one", 10, "x.txt")[0]);
  auto b = files.add("bob", split("two", 10, "x.txt")[0]);
  ASSERT_TRUE(a && a->has_value() && b && b->has_value());
  EXPECT_EQ((*a)->path, dir_.file("x.txt"));
  EXPECT_EQ((*b)->path, dir_.file("x (1).txt"));
  EXPECT_EQ(read_file((*b)->path), "two");
}

TEST_F(FileAssemblerTest, EmptyFile) {
  FileAssembler files(dir_.path(), *store_);
  auto done = files.add("alice", split("", 10, "empty")[0]);
  ASSERT_TRUE(done && done->has_value());
  EXPECT_EQ((*done)->size, 0u);
  EXPECT_EQ(read_file((*done)->path), "");
}

TEST_F(FileAssemblerTest, RejectsInconsistentChunks) {
  FileAssembler files(dir_.path(), *store_);
  auto chunks = split(std::string(100, 'a'), 40, "a");
  ASSERT_TRUE(files.add("alice", chunks[0]));
  auto other_size = chunks[1];
  other_size.set_total_size(101);
  EXPECT_EQ(files.add("alice", other_size).code(), Code::kBadRequest);
  auto past_end = chunks[1];  // a middle chunk too long for its place
  past_end.set_data(std::string(70, 'a'));
  EXPECT_EQ(files.add("alice", past_end).code(), Code::kBadRequest);
  auto bad_index = chunks[1];
  bad_index.set_index(5);
  EXPECT_EQ(files.add("alice", bad_index).code(), Code::kBadRequest);
  auto bad_id = chunks[1];
  bad_id.set_file_id("short");
  EXPECT_EQ(files.add("alice", bad_id).code(), Code::kBadRequest);
  auto huge = chunks[1];
  huge.set_total_size(kMaxFileBytes + 1);
  EXPECT_EQ(files.add("alice", huge).code(), Code::kBadRequest);
}

TEST_F(FileAssemblerTest, MemoryModeWritesNothing) {
  FileAssembler files("", *store_);
  auto chunks = split(std::string(50, 'z'), 20, "z.bin");
  EXPECT_FALSE(files.add("alice", chunks[0])->has_value());
  EXPECT_FALSE(files.add("alice", chunks[1])->has_value());
  auto done = files.add("alice", chunks[2]);
  ASSERT_TRUE(done && done->has_value());
  EXPECT_TRUE((*done)->path.empty());
  EXPECT_EQ((*done)->size, 50u);
}

TEST(FileNamesTest, SanitizesPeerChosenNames) {
  EXPECT_EQ(sanitize_file_name("photo.jpg"), "photo.jpg");
  EXPECT_EQ(sanitize_file_name("../../etc/passwd"), "passwd");
  EXPECT_EQ(sanitize_file_name("C:\\Users\\x\\evil.exe"), "evil.exe");
  EXPECT_EQ(sanitize_file_name(".bashrc"), "bashrc");
  EXPECT_EQ(sanitize_file_name(".."), "file");
  EXPECT_EQ(sanitize_file_name(""), "file");
  EXPECT_EQ(sanitize_file_name("a\nb\x1b[31m.txt"), "ab[31m.txt");
  const std::string long_name = std::string(300, 'n') + ".png";
  const std::string shortened = sanitize_file_name(long_name);
  EXPECT_LE(shortened.size(), 200u);
  EXPECT_EQ(shortened.substr(shortened.size() - 4), ".png");
}

TEST(FileNamesTest, GuessesMimeTypes) {
  EXPECT_EQ(guess_mime_type("a.PNG"), "image/png");
  EXPECT_EQ(guess_mime_type("b.jpeg"), "image/jpeg");
  EXPECT_EQ(guess_mime_type("c.pdf"), "application/pdf");
  EXPECT_EQ(guess_mime_type("noext"), "application/octet-stream");
}

}  // namespace
}  // namespace fastchat::client
