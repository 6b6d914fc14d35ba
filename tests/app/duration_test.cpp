#include "app/duration.hpp"

#include <gtest/gtest.h>

namespace bts::app {
namespace {

double parse_ok(const std::string& text) {
  std::string error;
  const auto value = parse_duration_s(text, error);
  EXPECT_TRUE(value.has_value()) << text << ": " << error;
  return value.value_or(-1.0);
}

TEST(Duration, AcceptsEveryUnit) {
  EXPECT_DOUBLE_EQ(parse_ok("90s"), 90.0);
  EXPECT_DOUBLE_EQ(parse_ok("15m"), 900.0);
  EXPECT_DOUBLE_EQ(parse_ok("24h"), 86400.0);
  EXPECT_DOUBLE_EQ(parse_ok("7d"), 604800.0);
  EXPECT_DOUBLE_EQ(parse_ok("1.5h"), 5400.0);
  EXPECT_DOUBLE_EQ(parse_ok("3600"), 3600.0);
}

TEST(Duration, RefusesGarbageWithAReason) {
  for (const char* bad : {"", "h", "abc", "12x", "-5m", "1e999h"}) {
    std::string error;
    EXPECT_FALSE(parse_duration_s(bad, error).has_value()) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
  std::string error;
  parse_duration_s("-5m", error);
  EXPECT_NE(error.find("negative"), std::string::npos);
}

TEST(Duration, FormatsForReports) {
  EXPECT_EQ(format_duration(3723.0), "01:02:03");
  EXPECT_EQ(format_duration(90061.0), "1d 01:01:01");
}

}  // namespace
}  // namespace bts::app
