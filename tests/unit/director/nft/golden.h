#pragma once
// Golden files of the nft tests (tests/unit/data/nft/): HA_UPDATE_GOLDEN=1 rewrites them (review
// the diff before committing).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace ha::director::testing {

inline void expectGolden(const std::string& actual, const std::string& name) {
  const std::string path = std::string(HA_TEST_DATA_DIR) + "/nft/" + name;
  if (std::getenv("HA_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path) << actual;
    return;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in) << "missing golden file " << path;
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(actual, expected.str()) << "golden mismatch: " << path;
}

}  // namespace ha::director::testing
