#include "director/node/connection_table.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace ha::director {
namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

conntrack::FlowEntry flow(uint32_t serviceId, uint8_t l4proto, uint16_t clientPort,
                          uint8_t tcpState = 3) {
  conntrack::FlowEntry e;
  e.l4proto = l4proto;
  e.original = {ip("203.0.113.10"), ip("192.0.2.100"), clientPort, 80};
  e.reply = {ip("198.51.100.11"), ip("198.51.100.2"), 80, 61000};  // FULLNAT: to the laddr
  e.tcpState = tcpState;
  e.timeoutSeconds = 431999;
  e.mark = serviceMark(serviceId);
  return e;
}

const ServiceKey kWeb{Protocol::kTcp, ip("192.0.2.100"), 80};
const ServiceKey kDns{Protocol::kUdp, ip("192.0.2.100"), 53};
const std::map<uint32_t, ServiceKey> kServices{{1, kWeb}, {2, kDns}};

// Each of our flows becomes a row: client, the service's VIP:port, the real (the reply's
// source), conntrack's state name for TCP and none for UDP, the remaining timeout.
TEST(ConnectionTable, RowsFromFlows) {
  const auto table = connectionTable(
      {flow(1, conntrack::kProtoTcp, 40000), flow(2, conntrack::kProtoUdp, 5353, 0)}, kServices,
      std::nullopt, kMaxConnectionRows);
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.total, 2u);
  EXPECT_TRUE(table.serviceKnown);
  const ConnectionRow& tcp = table.rows[0];
  EXPECT_EQ(tcp.protocol, Protocol::kTcp);
  EXPECT_EQ(tcp.state, "ESTABLISHED");
  EXPECT_EQ(tcp.expiresSeconds, 431999u);
  EXPECT_EQ(tcp.source.str(), "203.0.113.10:40000");
  EXPECT_EQ(tcp.virtualService.str(), "192.0.2.100:80");
  EXPECT_EQ(tcp.destination.str(), "198.51.100.11:80");
  const ConnectionRow& udp = table.rows[1];
  EXPECT_EQ(udp.protocol, Protocol::kUdp);
  EXPECT_EQ(udp.state, "");
  EXPECT_EQ(udp.virtualService.str(), "192.0.2.100:53");
}

// A filter keeps one service's flows; foreign marks and protocols are never listed.
TEST(ConnectionTable, FilterAndForeignFlows) {
  conntrack::FlowEntry foreign = flow(1, conntrack::kProtoTcp, 40001);
  foreign.mark = 0x12000001;
  conntrack::FlowEntry sctp = flow(1, 132, 40002);
  const auto table = connectionTable({flow(1, conntrack::kProtoTcp, 40000, 7),
                                      flow(2, conntrack::kProtoUdp, 5353, 0), foreign, sctp},
                                     kServices, kWeb, kMaxConnectionRows);
  ASSERT_EQ(table.rows.size(), 1u);
  EXPECT_EQ(table.total, 1u);
  EXPECT_EQ(table.rows[0].state, "TIME_WAIT");
}

// Past the bound the rows stop but the total counts on; a flow of a service that is gone is
// listed under its original destination.
TEST(ConnectionTable, BoundAndRetiredService) {
  std::vector<conntrack::FlowEntry> flows;
  for (uint16_t p = 0; p < 5; ++p) flows.push_back(flow(1, conntrack::kProtoTcp, p + 1000));
  conntrack::FlowEntry retired = flow(9, conntrack::kProtoTcp, 2000);
  retired.original.dst = ip("192.0.2.200");
  retired.original.dstPort = 8080;
  flows.push_back(retired);
  const auto table = connectionTable(flows, kServices, std::nullopt, 3);
  EXPECT_EQ(table.rows.size(), 3u);
  EXPECT_EQ(table.total, 6u);
  const auto all = connectionTable(flows, kServices, std::nullopt, kMaxConnectionRows);
  EXPECT_EQ(all.rows.back().virtualService.str(), "192.0.2.200:8080");
}

// Every tcp_conntrack state has its conntrack name; a value past the table is UNKNOWN.
TEST(ConnectionTable, TcpStateNames) {
  EXPECT_EQ(tcpStateName(0), "NONE");
  EXPECT_EQ(tcpStateName(2), "SYN_RECV");
  EXPECT_EQ(tcpStateName(3), "ESTABLISHED");
  EXPECT_EQ(tcpStateName(7), "TIME_WAIT");
  EXPECT_EQ(tcpStateName(9), "SYN_SENT2");
  EXPECT_EQ(tcpStateName(10), "UNKNOWN");
}

}  // namespace
}  // namespace ha::director
