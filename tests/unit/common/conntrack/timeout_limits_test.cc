#include "common/conntrack/timeout_limits.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace ha::conntrack {
namespace {

FlowEntry tcp(uint8_t state, uint32_t timeout) {
  FlowEntry e;
  e.l4proto = kProtoTcp;
  e.status = kIpsSeenReply | kIpsAssured;
  e.tcpState = state;
  e.timeoutSeconds = timeout;
  return e;
}

FlowEntry udp(uint32_t status, uint32_t timeout) {
  FlowEntry e;
  e.l4proto = kProtoUdp;
  e.status = status;
  e.timeoutSeconds = timeout;
  return e;
}

// The ceiling is the state's own timeout; TCP with no reported state takes the longest; UDP
// takes the stream timeout once answered.
TEST(TimeoutLimits, CeilingByProtocolAndState) {
  const TimeoutLimits k = kernelDefaultTimeouts();
  EXPECT_EQ(timeoutCeiling(k, tcp(3, 0)), 432000u);  // ESTABLISHED, 5 days
  EXPECT_EQ(timeoutCeiling(k, tcp(1, 0)), 120u);     // SYN_SENT
  EXPECT_EQ(timeoutCeiling(k, tcp(6, 0)), 30u);      // LAST_ACK
  EXPECT_EQ(timeoutCeiling(k, tcp(9, 0)), 120u);     // SYN_SENT2
  EXPECT_EQ(timeoutCeiling(k, tcp(0, 0)), 432000u);
  EXPECT_EQ(timeoutCeiling(k, udp(0, 0)), 30u);
  EXPECT_EQ(timeoutCeiling(k, udp(kIpsSeenReply, 0)), 120u);
  EXPECT_EQ(timeoutCeiling(k, udp(kIpsAssured, 0)), 120u);
}

// clampTimeout lowers a longer timeout and says so; a shorter one and 0 (not reported) stay.
TEST(TimeoutLimits, ClampLowersOnlyWhatIsLonger) {
  const TimeoutLimits k = kernelDefaultTimeouts();
  FlowEntry e = tcp(3, 604798);
  EXPECT_TRUE(clampTimeout(k, e));
  EXPECT_EQ(e.timeoutSeconds, 432000u);
  e = tcp(3, 300);
  EXPECT_FALSE(clampTimeout(k, e));
  EXPECT_EQ(e.timeoutSeconds, 300u);
  e = tcp(3, 0);
  EXPECT_FALSE(clampTimeout(k, e));
  EXPECT_EQ(e.timeoutSeconds, 0u);
  e = udp(0, 600000);
  EXPECT_TRUE(clampTimeout(k, e));
  EXPECT_EQ(e.timeoutSeconds, 30u);
}

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// A scratch directory under /tmp, removed with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = "/tmp/timeout_limits_test.XXXXXX";
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The sysctl files are read as the kernel writes them; a missing or garbled one keeps the default
// and is named. SYN_SENT2 has no sysctl and keeps its fixed 2 minutes.
TEST(TimeoutLimits, ReadsSysctlFiles) {
  ScratchDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string d = dir.path();
  write(d + "/nf_conntrack_tcp_timeout_established", "7200\n");
  write(d + "/nf_conntrack_tcp_timeout_syn_sent", "30\n");
  write(d + "/nf_conntrack_tcp_timeout_close", "ten\n");
  write(d + "/nf_conntrack_udp_timeout", "15\n");
  write(d + "/nf_conntrack_udp_timeout_stream", "90\n");
  std::vector<std::string> problems;
  const TimeoutLimits l = readTimeoutLimits(d, problems);
  EXPECT_EQ(l.tcp[3], 7200u);
  EXPECT_EQ(l.tcp[1], 30u);
  EXPECT_EQ(l.tcp[9], 120u);
  EXPECT_EQ(l.tcp[8], 10u);  // garbled: default
  EXPECT_EQ(l.tcp[6], 30u);  // missing: default
  EXPECT_EQ(l.udp, 15u);
  EXPECT_EQ(l.udpStream, 90u);
  // close (garbled), syn_recv, fin_wait, close_wait, last_ack, time_wait (missing)
  EXPECT_EQ(problems.size(), 6u);
  EXPECT_NE(std::find(problems.begin(), problems.end(), d + "/nf_conntrack_tcp_timeout_close"),
            problems.end());
}

}  // namespace
}  // namespace ha::conntrack
