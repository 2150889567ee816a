// Per-real totals from conntrack accounting: live flows + flows that ended, each counted once.
#include "director/conntrack/flow_ledger.h"

#include <gtest/gtest.h>

#include "common/flow_mark.h"

namespace ha::director {
namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

// Flow `n` of service `id` to real REAL:80, with the given counters (nullopt: not accounted).
AccountedFlow flow(uint32_t id, const char* real, uint16_t clientPort,
                   std::optional<conntrack::KernelEntry::Accounting> acct, uint32_t kernelId = 7) {
  AccountedFlow f;
  f.entry.mark = kMarkTag | id;
  f.entry.l4proto = 6;
  f.entry.replySource = ip(real);
  f.entry.replySourcePort = 80;
  f.key.l4proto = 6;
  f.key.original = {ip("203.0.113.10"), ip("192.0.2.100"), clientPort, 80};
  f.id = kernelId;
  f.accounting = acct;
  return f;
}

conntrack::KernelEntry::Accounting acct(uint64_t inPackets, uint64_t inBytes, uint64_t outPackets,
                                        uint64_t outBytes) {
  return {{inPackets, inBytes}, {outPackets, outBytes}};
}

const ConnCountKey kReal11{1, {ip("198.51.100.11"), 80}};
const ConnCountKey kReal12{1, {ip("198.51.100.12"), 80}};

TEST(FlowLedger, LiveFlowsAreSummedPerReal) {
  FlowLedger ledger;
  ledger.startDump();
  auto totals = ledger.totals({flow(1, "198.51.100.11", 40000, acct(3, 180, 2, 1000)),
                               flow(1, "198.51.100.11", 40001, acct(4, 240, 3, 2000)),
                               flow(1, "198.51.100.12", 40002, acct(1, 60, 0, 0))});
  EXPECT_EQ(totals[kReal11], (RealTraffic{2, 7, 5, 420, 3000}));
  EXPECT_EQ(totals[kReal12], (RealTraffic{1, 1, 0, 60, 0}));
}

// A flow that ended keeps counting (its final counters), and no longer appears live.
TEST(FlowLedger, FinishedFlowsStayCounted) {
  FlowLedger ledger;
  ledger.finish(flow(1, "198.51.100.11", 40000, acct(5, 300, 4, 4000)));
  ledger.startDump();
  auto totals = ledger.totals({flow(1, "198.51.100.11", 40001, acct(1, 60, 1, 100))});
  EXPECT_EQ(totals[kReal11], (RealTraffic{2, 6, 5, 360, 4100}));
  ledger.startDump();
  EXPECT_EQ(ledger.totals({})[kReal11], (RealTraffic{1, 5, 4, 300, 4000}));
}

// Destroyed while the dump ran: in the dump (older counters) and in the destroy events read
// right after it. Counted once, with its final counters; another entry under the same tuple (a
// new kernel id) still counts.
TEST(FlowLedger, FlowEndingDuringTheDumpIsCountedOnce) {
  FlowLedger ledger;
  ledger.startDump();
  const std::vector<AccountedFlow> dump{flow(1, "198.51.100.11", 40000, acct(2, 120, 1, 500), 7),
                                        flow(1, "198.51.100.11", 40000, acct(1, 60, 0, 0), 8)};
  ledger.finish(flow(1, "198.51.100.11", 40000, acct(3, 180, 2, 1500), 7));
  EXPECT_EQ(ledger.totals(dump)[kReal11], (RealTraffic{2, 4, 2, 240, 1500}));
  // The next dump no longer skips it: it would be a new flow with that identity.
  ledger.startDump();
  EXPECT_EQ(ledger.totals({})[kReal11], (RealTraffic{1, 3, 2, 180, 1500}));
}

// A flow created before accounting was on, an entry synced from a peer that never carried a
// packet here, and a flow without our mark add nothing.
TEST(FlowLedger, UnaccountedIdleAndForeignFlowsAddNothing) {
  FlowLedger ledger;
  auto foreign = flow(1, "198.51.100.11", 40003, acct(9, 900, 9, 900));
  foreign.entry.mark = 0x00000001;
  ledger.finish(foreign);
  ledger.finish(flow(1, "198.51.100.11", 40004, std::nullopt));
  ledger.startDump();
  auto totals = ledger.totals({flow(1, "198.51.100.11", 40000, std::nullopt),
                               flow(1, "198.51.100.11", 40001, acct(0, 0, 0, 0)), foreign});
  EXPECT_EQ(totals[kReal11], RealTraffic{});
}

}  // namespace
}  // namespace ha::director
