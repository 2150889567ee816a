// LiveConnections: ActiveConn/InActConn of the followed services, kept from conntrack's events.
#include "director/conntrack/live_connections.h"

#include <gtest/gtest.h>

#include "common/flow_mark.h"
#include "common/ip_address.h"

namespace ha::director {
namespace {

constexpr uint8_t kEstablished = 3;  // TCP_CONNTRACK_ESTABLISHED
constexpr uint8_t kSynSent = 1;
constexpr uint8_t kTimeWait = 7;

IpAddress v4(const char* text) { return *IpAddress::parse(text); }

conntrack::FlowEntry flow(uint32_t serviceId, uint16_t clientPort, const char* real, uint8_t state,
                          uint8_t proto = conntrack::kProtoTcp) {
  conntrack::FlowEntry e;
  e.l4proto = proto;
  e.original = {v4("203.0.113.7"), v4("192.0.2.1"), clientPort, 80};
  e.reply = {v4(real), v4("203.0.113.7"), 8080, clientPort};
  e.tcpState = state;
  e.mark = kMarkTag | serviceId;
  return e;
}

conntrack::FlowUpdate upsert(const conntrack::FlowEntry& e) {
  return {conntrack::FlowOp::kUpsert, e};
}
conntrack::FlowUpdate removal(const conntrack::FlowEntry& e) {
  return {conntrack::FlowOp::kRemove, e};
}

const Endpoint kRealA{v4("198.51.100.1"), 8080};
const Endpoint kRealB{v4("198.51.100.2"), 8080};

TEST(LiveConnections, NewFlowsAreInactiveUntilEstablishedAndInactiveAgainWhenClosing) {
  LiveConnections live;
  live.follow({1});
  EXPECT_EQ(live.apply(upsert(flow(1, 40000, "198.51.100.1", kSynSent))), 1u);
  EXPECT_EQ(live.loadOf(1).at(kRealA), (RealLoad{0, 1}));
  EXPECT_EQ(live.apply(upsert(flow(1, 40000, "198.51.100.1", kEstablished))), 1u);
  EXPECT_EQ(live.loadOf(1).at(kRealA), (RealLoad{1, 0}));
  EXPECT_EQ(live.apply(upsert(flow(1, 40000, "198.51.100.1", kTimeWait))), 1u);
  EXPECT_EQ(live.loadOf(1).at(kRealA), (RealLoad{0, 1}));
  EXPECT_EQ(live.apply(removal(flow(1, 40000, "198.51.100.1", 0))), 1u);
  EXPECT_TRUE(live.loadOf(1).empty());
  EXPECT_EQ(live.flowCount(), 0u);
}

TEST(LiveConnections, AnUpdateWithoutTheTcpStateChangesNothing) {
  LiveConnections live;
  live.follow({1});
  live.apply(upsert(flow(1, 40000, "198.51.100.1", kEstablished)));
  EXPECT_EQ(live.apply(upsert(flow(1, 40000, "198.51.100.1", 0))), std::nullopt);
  EXPECT_EQ(live.loadOf(1).at(kRealA), (RealLoad{1, 0}));
  // The same state again (a status-bit update) moves nothing either.
  EXPECT_EQ(live.apply(upsert(flow(1, 40000, "198.51.100.1", kEstablished))), std::nullopt);
}

TEST(LiveConnections, UdpIsActiveOnceSeenBothWays) {
  LiveConnections live;
  live.follow({2});
  auto e = flow(2, 5000, "198.51.100.2", 0, conntrack::kProtoUdp);
  live.apply(upsert(e));
  EXPECT_EQ(live.loadOf(2).at(kRealB), (RealLoad{0, 1}));
  e.status = kIpsSeenReply;
  live.apply(upsert(e));
  EXPECT_EQ(live.loadOf(2).at(kRealB), (RealLoad{1, 0}));
}

TEST(LiveConnections, OnlyFollowedServicesAndOurMarksCount) {
  LiveConnections live;
  live.follow({1});
  EXPECT_EQ(live.apply(upsert(flow(2, 40000, "198.51.100.1", kEstablished))), std::nullopt);
  auto foreign = flow(1, 40001, "198.51.100.1", kEstablished);
  foreign.mark = 0x42;  // an operator's mark, not our tag
  EXPECT_EQ(live.apply(upsert(foreign)), std::nullopt);
  EXPECT_EQ(live.apply(removal(flow(1, 49999, "198.51.100.1", 0))), std::nullopt);  // never seen
  EXPECT_EQ(live.flowCount(), 0u);
}

TEST(LiveConnections, ArrivalsAreTheNewFlowsSinceTheLastTake) {
  LiveConnections live;
  live.follow({1});
  for (uint16_t port = 40000; port < 40005; ++port)
    live.apply(upsert(flow(1, port, "198.51.100.1", kSynSent)));
  live.apply(upsert(flow(1, 40000, "198.51.100.1", kEstablished)));  // a state change is no arrival
  EXPECT_EQ(live.takeArrivals(1), 5u);
  EXPECT_EQ(live.takeArrivals(1), 0u);
}

TEST(LiveConnections, ResetReplacesEverythingWithTheDump) {
  LiveConnections live;
  live.follow({1, 2});
  live.apply(upsert(flow(1, 40000, "198.51.100.1", kEstablished)));
  live.reset({flow(1, 41000, "198.51.100.2", kEstablished),
              flow(1, 41001, "198.51.100.2", kTimeWait),
              flow(3, 41002, "198.51.100.2", kEstablished)});
  EXPECT_EQ(live.loadOf(1).count(kRealA), 0u);
  EXPECT_EQ(live.loadOf(1).at(kRealB), (RealLoad{1, 1}));
  EXPECT_EQ(live.takeArrivals(1), 0u);  // a dump is the present, not arrivals
  EXPECT_EQ(live.flowCount(), 2u);
}

TEST(LiveConnections, UnfollowingAServiceForgetsItsFlows) {
  LiveConnections live;
  live.follow({1, 2});
  live.apply(upsert(flow(1, 40000, "198.51.100.1", kEstablished)));
  live.apply(upsert(flow(2, 40001, "198.51.100.2", kEstablished)));
  live.follow({2});
  EXPECT_TRUE(live.loadOf(1).empty());
  EXPECT_EQ(live.flowCount(), 1u);
  EXPECT_EQ(live.apply(removal(flow(1, 40000, "198.51.100.1", 0))), std::nullopt);
}

}  // namespace
}  // namespace ha::director
