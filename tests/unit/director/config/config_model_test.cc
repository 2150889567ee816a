#include "director/config/config_model.h"

#include <gtest/gtest.h>

namespace ha::director {
namespace {

// Protocol and mode names are the ones keepalived users write and ipvsadm prints.
TEST(ConfigModel, NamesMatchKeepalivedSpelling) {
  EXPECT_EQ(protocolName(Protocol::kTcp), "TCP");
  EXPECT_EQ(protocolName(Protocol::kUdp), "UDP");
  EXPECT_EQ(forwardModeName(ForwardMode::kNat), "NAT");
  EXPECT_EQ(forwardModeName(ForwardMode::kFullNat), "FNAT");
  EXPECT_EQ(forwardModeName(ForwardMode::kDr), "DR");
  EXPECT_EQ(forwardModeName(ForwardMode::kTun), "TUN");
}

// Diagnostics print as compilers do, so editors jump to file:line.
TEST(ConfigModel, DiagnosticPrintsFileLineSeverityMessage) {
  Diagnostic error{Diagnostic::Severity::kError, {"a.conf", 12}, "bad thing"};
  EXPECT_EQ(error.str(), "a.conf:12: error: bad thing");
  Diagnostic warning{Diagnostic::Severity::kWarning, {"b.conf", 3}, "odd thing"};
  EXPECT_EQ(warning.str(), "b.conf:3: warning: odd thing");
  Diagnostic wholeFile{Diagnostic::Severity::kError, {"c.conf", 0}, "unreadable"};
  EXPECT_EQ(wholeFile.str(), "c.conf: error: unreadable");
}

// Warnings alone do not fail a load; one error does.
TEST(ConfigModel, HasErrorsCountsOnlyErrors) {
  LoadResult r;
  EXPECT_FALSE(r.hasErrors());
  r.diagnostics.push_back({Diagnostic::Severity::kWarning, {"x", 1}, "w"});
  EXPECT_FALSE(r.hasErrors());
  r.diagnostics.push_back({Diagnostic::Severity::kError, {"x", 2}, "e"});
  EXPECT_TRUE(r.hasErrors());
}

}  // namespace
}  // namespace ha::director
