#include "sync/catalog.h"

#include <gtest/gtest.h>

namespace ha::sync {
namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

ServiceCatalog catalog() {
  ServiceCatalog c;
  CatalogService fullnat;
  fullnat.mark = 0xd1000007;
  fullnat.fullnat = true;
  fullnat.reals = {{ip("198.51.100.11"), 80}, {ip("198.51.100.12"), 0}};
  fullnat.localAddresses = std::make_shared<std::set<IpAddress>>(std::set<IpAddress>{ip("198.51.100.200")});
  c[{kProtoTcp, ip("192.0.2.100"), 80}] = fullnat;
  CatalogService nat;
  nat.mark = 0xd1000009;
  nat.reals = {{ip("198.51.100.13"), 53}};
  c[{kProtoUdp, ip("192.0.2.101"), 0}] = nat;
  return c;
}

FlowEntry fullnatFlow() {
  FlowEntry e;
  e.l4proto = kProtoTcp;
  e.original = {ip("203.0.113.10"), ip("192.0.2.100"), 40000, 80};
  e.reply = {ip("198.51.100.11"), ip("198.51.100.200"), 80, 61000};
  e.status = kIpsSeenReply | kIpsAssured;
  e.tcpState = 3;
  e.timeoutSeconds = 432000;
  e.mark = 0xd1000001;  // the sender's mark means nothing here
  return e;
}

FlowEntry natFlow() {
  FlowEntry e;
  e.l4proto = kProtoUdp;
  e.original = {ip("203.0.113.10"), ip("192.0.2.101"), 5353, 53};
  e.reply = {ip("198.51.100.13"), ip("203.0.113.10"), 53, 5353};
  e.status = kIpsSeenReply;
  e.timeoutSeconds = 30;
  return e;
}

// A FULLNAT entry for a known service, real and local address is admitted with our mark.
TEST(Catalog, AdmitsKnownFlowWithOurMark) {
  FlowEntry e = fullnatFlow();
  EXPECT_FALSE(admit(catalog(), FlowOp::kUpsert, e));
  EXPECT_EQ(e.mark, 0xd1000007u);
  FlowEntry n = natFlow();
  EXPECT_FALSE(admit(catalog(), FlowOp::kUpsert, n));  // port-0 service matches any port
  EXPECT_EQ(n.mark, 0xd1000009u);
  FlowEntry anyPort = fullnatFlow();
  anyPort.reply.src = ip("198.51.100.12");
  anyPort.reply.srcPort = 8080;  // a port-0 real takes any port
  EXPECT_FALSE(admit(catalog(), FlowOp::kUpsert, anyPort));
}

// Each refusal names its reason and leaves the entry alone.
TEST(Catalog, RefusalsByReason) {
  auto reason = [](FlowEntry e, FlowOp op = FlowOp::kUpsert) {
    const FlowEntry before = e;
    auto why = admit(catalog(), op, e);
    EXPECT_EQ(e, before);
    return why;
  };
  FlowEntry e = fullnatFlow();
  e.original.dstPort = 81;
  EXPECT_EQ(reason(e), Rejection::kUnknownService);
  e = fullnatFlow();
  e.reply.src = ip("198.51.100.99");
  EXPECT_EQ(reason(e), Rejection::kUnknownReal);
  e = fullnatFlow();
  e.reply.dst = ip("198.51.100.201");
  EXPECT_EQ(reason(e), Rejection::kUnknownLocalAddress);
  e = natFlow();
  e.reply.dst = ip("198.51.100.200");  // a SNAT on a NAT service
  EXPECT_EQ(reason(e), Rejection::kUnknownLocalAddress);
  e = fullnatFlow();
  e.l4proto = 1;
  EXPECT_EQ(reason(e), Rejection::kBadTuple);
  e = fullnatFlow();
  e.reply.dst = ip("fd00::1");
  EXPECT_EQ(reason(e), Rejection::kBadTuple);
  e = fullnatFlow();
  e.original.srcPort = 0;
  EXPECT_EQ(reason(e), Rejection::kBadTuple);
  e = fullnatFlow();
  e.original.src = ip("0.0.0.0");
  EXPECT_EQ(reason(e), Rejection::kBadTuple);
  e = fullnatFlow();
  e.tcpState = 10;
  EXPECT_EQ(reason(e), Rejection::kBadState);
  e = fullnatFlow();
  e.status |= 1u << 7;  // IPS_SRC_NAT is ours to derive, never a peer's to ask for
  EXPECT_EQ(reason(e), Rejection::kBadState);
  e = natFlow();
  e.tcpState = 3;
  EXPECT_EQ(reason(e), Rejection::kBadState);
}

// A remove needs only a plausible original tuple of a known service.
TEST(Catalog, RemoveNeedsOnlyAKnownService) {
  FlowEntry e = fullnatFlow();
  e.reply = {};
  EXPECT_FALSE(admit(catalog(), FlowOp::kRemove, e));
  e.original.dst = ip("192.0.2.200");
  EXPECT_EQ(admit(catalog(), FlowOp::kRemove, e), Rejection::kUnknownService);
  EXPECT_EQ(rejectionName(Rejection::kUnknownLocalAddress), "unknown-local-address");
}

}  // namespace
}  // namespace ha::sync
