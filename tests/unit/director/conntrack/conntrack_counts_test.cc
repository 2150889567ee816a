#include "director/conntrack/conntrack_counts.h"

#include <gtest/gtest.h>
#include <netinet/in.h>

namespace ha::director {
namespace {

constexpr uint8_t kSynRecv = 2;   // TCP_CONNTRACK_SYN_RECV
constexpr uint8_t kTimeWait = 7;  // TCP_CONNTRACK_TIME_WAIT

ConntrackEntry entry(uint32_t mark, uint8_t proto, const char* real, uint16_t port,
                     uint8_t tcpState = 0, uint32_t status = 0) {
  return ConntrackEntry{mark, proto, *IpAddress::parse(real), port, tcpState, status};
}

Endpoint ep(const char* address, uint16_t port) {
  return Endpoint{*IpAddress::parse(address), port};
}

// TCP counts as active only when ESTABLISHED, as IPVS's ActiveConn does.
TEST(ConntrackCounts, TcpEstablishedIsActive) {
  ConnCountMap counts;
  EXPECT_TRUE(countEntry(
      entry(0xd1000001, IPPROTO_TCP, "198.51.100.11", 80, kTcpConntrackEstablished), counts));
  EXPECT_TRUE(countEntry(entry(0xd1000001, IPPROTO_TCP, "198.51.100.11", 80, kSynRecv), counts));
  EXPECT_TRUE(countEntry(entry(0xd1000001, IPPROTO_TCP, "198.51.100.11", 80, kTimeWait), counts));
  const ConnCounts& c = counts[ConnCountKey{1, ep("198.51.100.11", 80)}];
  EXPECT_EQ(c.active, 1u);
  EXPECT_EQ(c.inactive, 2u);
}

// UDP is active once a reply was seen (or conntrack assured it); one-way flows are inactive.
TEST(ConntrackCounts, UdpActiveOnceAnswered) {
  ConnCountMap counts;
  countEntry(entry(0xd1000002, IPPROTO_UDP, "fd00:1::11", 53, 0, kIpsSeenReply), counts);
  countEntry(entry(0xd1000002, IPPROTO_UDP, "fd00:1::11", 53, 0, kIpsAssured | kIpsSeenReply),
             counts);
  countEntry(entry(0xd1000002, IPPROTO_UDP, "fd00:1::11", 53, 0, 0), counts);
  const ConnCounts& c = counts[ConnCountKey{2, ep("fd00:1::11", 53)}];
  EXPECT_EQ(c.active, 2u);
  EXPECT_EQ(c.inactive, 1u);
}

// Flows without our mark tag, or of other protocols, are not counted.
TEST(ConntrackCounts, IgnoresForeignFlows) {
  ConnCountMap counts;
  EXPECT_FALSE(
      countEntry(entry(0, IPPROTO_TCP, "198.51.100.11", 80, kTcpConntrackEstablished), counts));
  EXPECT_FALSE(countEntry(
      entry(0xd2000001, IPPROTO_TCP, "198.51.100.11", 80, kTcpConntrackEstablished), counts));
  EXPECT_FALSE(countEntry(entry(0xd1000001, IPPROTO_ICMP, "198.51.100.11", 0), counts));
  EXPECT_TRUE(counts.empty());
}

// Counts are kept apart per service id and per real endpoint (address and port).
TEST(ConntrackCounts, KeysByServiceAndReal) {
  ConnCountMap counts;
  const uint8_t est = kTcpConntrackEstablished;
  countEntry(entry(0xd1000001, IPPROTO_TCP, "198.51.100.11", 80, est), counts);
  countEntry(entry(0xd1000001, IPPROTO_TCP, "198.51.100.11", 8080, est), counts);
  countEntry(entry(0xd1000001, IPPROTO_TCP, "198.51.100.12", 80, est), counts);
  countEntry(entry(0xd1000003, IPPROTO_TCP, "198.51.100.11", 80, est), counts);
  EXPECT_EQ(counts.size(), 4u);
  EXPECT_EQ((counts[ConnCountKey{3, ep("198.51.100.11", 80)}].active), 1u);
}

}  // namespace
}  // namespace ha::director
