#include "report.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace fastchat::bench {
namespace {

RunReport sample() {
  RunReport r;
  r.scenario = "dm";
  r.machine = "test";
  for (double rate : {1000.0, 2000.0}) {
    StepResult s;
    s.label = std::to_string(static_cast<int>(rate)) + "/s";
    s.offered_rate = rate;
    s.offered = s.sent = s.acknowledged = s.expected = s.delivered = 100;
    s.latency.record(1500);
    s.errors["send:unavailable"] = rate > 1500 ? 2 : 0;
    r.steps.push_back(s);
  }
  return r;
}

TEST(Report, OkOnlyWithoutLossOrDuplicates) {
  auto r = sample();
  EXPECT_TRUE(r.ok());
  r.steps[1].duplicated = 1;
  EXPECT_FALSE(r.ok());
  r.steps[1].duplicated = 0;
  r.steps[0].lost = 3;
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.total_lost(), 3u);
}

TEST(Report, JsonAndCsvCarryTheFigures) {
  const auto r = sample();
  const auto json = to_json(r);
  EXPECT_NE(json.find("\"scenario\": \"dm\""), std::string::npos);
  EXPECT_NE(json.find("\"p99_us\": 1500"), std::string::npos);
  EXPECT_NE(json.find("\"send:unavailable\": 2"), std::string::npos);
  EXPECT_NE(json.find("\"lost\": 0"), std::string::npos);
  const auto csv = to_csv(r);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3);  // header + two steps
}

TEST(Report, FormatsDurations) {
  EXPECT_EQ(format_micros(850), "0.85ms");
  EXPECT_EQ(format_micros(12'345), "12.3ms");
  EXPECT_EQ(format_micros(1'200'000), "1.20s");
}

TEST(Report, WritesFilesAndAPlotScript) {
  const auto dir = std::filesystem::temp_directory_path() / "fastchat-report-test";
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(write_outputs(sample(), dir.string()).is_ok());
  EXPECT_TRUE(std::filesystem::exists(dir / "report.json"));
  EXPECT_TRUE(std::filesystem::exists(dir / "steps.csv"));
  EXPECT_TRUE(std::filesystem::exists(dir / "latency.gp"));
  std::ifstream data(dir / "latency.dat");
  std::string header, first;
  std::getline(data, header);
  std::getline(data, first);
  EXPECT_EQ(first.rfind("1000.0 1.500", 0), 0u) << first;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace fastchat::bench
