#include "common/ownership/ledger.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ha {
namespace {

OwnedAddress addr(const char* prefix, const char* dev = "lan0", const char* label = "") {
  return OwnedAddress{*IpPrefix::parse(prefix), dev, label};
}

Ledger sample() {
  Ledger l;
  l.netnsCookie = 4099;
  l.bootId = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";
  recordAddress(l, addr("198.51.100.200/32"), AddressRole::kStatic);
  recordAddress(l, addr("192.0.2.100/32", "lan0", "lan0:vip"), AddressRole::kVrrp);
  recordAddress(l, addr("fd00:2::100/128"), AddressRole::kVrrp);
  recordTable(l, {"netdev", "directord"});
  recordTable(l, {"inet", "directord"});
  recordRoute(l, {*IpPrefix::parse("192.0.2.100/32"), 100, "unicast", "lo"});
  recordRoute(l, {*IpPrefix::parse("192.0.2.101/32"), 100, "blackhole", ""});
  return l;
}

// A ledger survives encode -> decode unchanged, addresses in the order added.
TEST(LedgerCodec, RoundTrips) {
  const Ledger l = sample();
  auto back = decodeLedger(encodeLedger(l));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(back.value(), l);
  EXPECT_EQ(back->addresses[1].address.label, "lan0:vip");
  EXPECT_EQ(back->addresses[1].role, AddressRole::kVrrp);
}

// The text is what an operator reads in /run/directord/net-*/state.
TEST(LedgerCodec, TextIsOneLinePerItem) {
  const std::string text = encodeLedger(sample());
  EXPECT_NE(text.find("directord-state 1\nboot-id 1b4e28ba-2fa1-11d2-883f-0016d3cca427\nnetns-cookie 4099\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("address 192.0.2.100/32 dev lan0 label lan0:vip role vrrp\n"), std::string::npos) << text;
  EXPECT_NE(text.find("address 198.51.100.200/32 dev lan0 role static\n"), std::string::npos) << text;
  EXPECT_NE(text.find("table inet directord\ntable netdev directord\n"), std::string::npos) << text;
  EXPECT_NE(text.find("route 192.0.2.101/32 table 100 type blackhole\n"), std::string::npos) << text;
}

// An empty ledger (nothing held) still names its version and namespace.
TEST(LedgerCodec, EmptyLedgerRoundTrips) {
  Ledger l;
  l.netnsCookie = 7;
  auto back = decodeLedger(encodeLedger(l));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_TRUE(back->empty());
  EXPECT_EQ(back->netnsCookie, 7u);
}

// Every damaged file is refused with the line that is wrong; nothing is half-read.
TEST(LedgerCodec, CorruptFilesAreRefusedWithTheLine) {
  const std::string head = "directord-state 1\nboot-id b\nnetns-cookie 1\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty: no 'directord-state' line"},
      {"garbage\n", "line 1: not a directord state file"},
      {"directord-state 2\nnetns-cookie 1\n", "line 1: version 2 (this directord reads version 1)"},
      {"directord-state 1\nnetns-cookie 1\n", "no boot-id line"},
      {"directord-state 1\nboot-id b\n", "no netns-cookie line"},
      {"directord-state 1\nboot-id b\nboot-id c\n", "line 3: boot-id: expected one id, once"},
      {"directord-state 1\nnetns-cookie x\n", "line 2: netns-cookie: expected one number, once"},
      {head + "address 192.0.2.1 dev lan0 role static\n", "line 4: address: bad prefix '192.0.2.1'"},
      {head + "address 192.0.2.1/33 dev lan0 role static\n", "line 4: address: bad prefix '192.0.2.1/33'"},
      {head + "address 192.0.2.1/32 dev lan0 role boss\n", "line 4: address: unknown role 'boss'"},
      {head + "address 192.0.2.1/32 lan0 role static\n", "line 4: address: expected PREFIX dev DEV [label L] role R"},
      {head + "table inet\n", "line 4: table: expected FAMILY NAME"},
      {head + "forget address 192.0.2.1/32\n", "line 4: forget address: expected PREFIX dev DEV"},
      {head + "forget\n", "line 4: forget: what?"},
      {head + "forget boot-id x\n", "line 4: unknown entry 'boot-id'"},
      {head + "route 192.0.2.1/32 table 0 type unicast\n", "line 4: route: expected table N (1-4294967295)"},
      {head + "route 192.0.2.1/32 table 9 type anycast\n",
       "line 4: route: expected type unicast|blackhole|unreachable|prohibit"},
      {head + "rule 1\n", "line 4: unknown entry 'rule'"},
      {head + std::string("table inet dir\0ectord\n", 23), "line 4: NUL byte"},
  };
  for (const auto& [text, error] : cases) {
    auto decoded = decodeLedger(text);
    ASSERT_FALSE(decoded.ok()) << text;
    EXPECT_EQ(decoded.error(), error) << text;
  }
}

// The file is a journal: lines replay in order (a later line for the same address updates it,
// forget lines remove), and a last line cut short by a kill is dropped, whatever it said.
TEST(LedgerCodec, ReplaysAppendedChangesAndDropsATornTail) {
  Ledger l = sample();
  std::string text = encodeLedger(l);
  text += forgetAddressLine(addr("198.51.100.200/32"));
  text += addressLine({addr("192.0.2.100/32"), AddressRole::kStatic});
  text += forgetTableLine({"netdev", "directord"});
  text += forgetRouteLine({*IpPrefix::parse("192.0.2.101/32"), 100, "blackhole", ""});
  text += addressLine({addr("192.0.2.7/32"), AddressRole::kStatic});
  text += "address 192.0.2.8/32 dev la";  // torn
  auto back = decodeLedger(text);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_TRUE(endsTorn(text));
  ASSERT_EQ(back->addresses.size(), 3u);
  EXPECT_EQ(back->addresses[0].address, addr("192.0.2.100/32"));
  EXPECT_EQ(back->addresses[0].role, AddressRole::kStatic);
  EXPECT_EQ(back->addresses[2].address, addr("192.0.2.7/32"));
  EXPECT_EQ(back->tables, (std::vector<LedgerTable>{{"inet", "directord"}}));
  EXPECT_EQ(back->routes.size(), 1u);
  EXPECT_EQ(findAddress(*back, addr("192.0.2.8/32")), nullptr);
}

// Labels make one address, not two (prefix and device key it); comments and blank lines are
// skipped; "-" is an unknown boot id.
TEST(LedgerMutations, KeyedByPrefixAndDevice) {
  Ledger l;
  EXPECT_TRUE(recordAddress(l, addr("192.0.2.1/32"), AddressRole::kStatic));
  EXPECT_FALSE(recordAddress(l, addr("192.0.2.1/32"), AddressRole::kStatic));  // unchanged: no save
  EXPECT_TRUE(recordAddress(l, addr("192.0.2.1/32", "lan0", "lan0:a"), AddressRole::kVrrp));
  ASSERT_EQ(l.addresses.size(), 1u);
  EXPECT_EQ(l.addresses[0].role, AddressRole::kVrrp);
  EXPECT_TRUE(recordAddress(l, addr("192.0.2.1/32", "lo"), AddressRole::kStatic));
  EXPECT_EQ(l.addresses.size(), 2u);
  EXPECT_TRUE(forgetAddress(l, addr("192.0.2.1/32", "lan0", "other-label")));
  EXPECT_FALSE(forgetAddress(l, addr("192.0.2.1/32", "lan0")));
  EXPECT_TRUE(recordTable(l, {"inet", "directord"}));
  EXPECT_FALSE(recordTable(l, {"inet", "directord"}));
  EXPECT_TRUE(forgetTable(l, {"inet", "directord"}));
  EXPECT_FALSE(forgetTable(l, {"inet", "directord"}));
  auto decoded = decodeLedger("# note\n\ndirectord-state 1\nboot-id -\n  netns-cookie 3\n# address x\n");
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded->netnsCookie, 3u);
  EXPECT_EQ(decoded->bootId, "");
}

// The reclaim decision, address by address: ours from before and still wanted as static is
// adopted; still a VRRP address is left to VRRP; wanted by nobody is removed; gone from the
// kernel is forgotten; a present address that the ledger does not list is never touched.
TEST(PlanReclaim, DecidesEachListedAddress) {
  Ledger inherited;
  recordAddress(inherited, addr("198.51.100.200/32"), AddressRole::kStatic);        // still static
  recordAddress(inherited, addr("192.0.2.100/32"), AddressRole::kVrrp);             // still VRRP
  recordAddress(inherited, addr("192.0.2.50/32"), AddressRole::kStatic);            // dropped
  recordAddress(inherited, addr("192.0.2.51/32"), AddressRole::kVrrp);              // instance gone
  recordAddress(inherited, addr("192.0.2.52/32"), AddressRole::kStatic);            // gone already
  recordAddress(inherited, addr("192.0.2.53/32", "lan0", "lan0:old"), AddressRole::kStatic);  // relabelled
  recordAddress(inherited, addr("192.0.2.54/32"), AddressRole::kVrrp);              // now static
  recordTable(inherited, {"inet", "directord"});
  recordRoute(inherited, {*IpPrefix::parse("192.0.2.100/32"), 100, "unicast", "lo"});
  const std::vector<OwnedAddress> present = {
      addr("198.51.100.200/32"), addr("192.0.2.100/32"), addr("192.0.2.50/32"), addr("192.0.2.51/32"),
      addr("192.0.2.53/32", "lan0", "lan0:old"), addr("192.0.2.54/32"),
      addr("192.0.2.99/32"),  // someone else's: not listed
  };
  WantedAddresses wanted;
  wanted.statics = {addr("198.51.100.200/32"), addr("192.0.2.53/32", "lan0", "lan0:new"), addr("192.0.2.54/32"),
                    addr("192.0.2.99/32")};
  wanted.vrrp = {addr("192.0.2.100/32")};

  const ReclaimPlan plan = planReclaim(inherited, present, wanted);
  EXPECT_EQ(plan.adoptStatic, (std::vector<OwnedAddress>{addr("198.51.100.200/32"), addr("192.0.2.54/32")}));
  EXPECT_EQ(plan.handToVrrp, (std::vector<OwnedAddress>{addr("192.0.2.100/32")}));
  ASSERT_EQ(plan.remove.size(), 3u);
  EXPECT_EQ(plan.remove[0].address, addr("192.0.2.50/32"));
  EXPECT_EQ(plan.remove[1].address, addr("192.0.2.51/32"));
  EXPECT_EQ(plan.remove[2].address, addr("192.0.2.53/32", "lan0", "lan0:old"));
  ASSERT_EQ(plan.forget.size(), 1u);
  EXPECT_EQ(plan.forget[0].address, addr("192.0.2.52/32"));
  EXPECT_EQ(plan.removeRoutes.size(), 1u);
  EXPECT_EQ(plan.tables, (std::vector<LedgerTable>{{"inet", "directord"}}));
}

// An empty ledger (first start, or a clean stop before) reclaims nothing, whatever is present.
TEST(PlanReclaim, NothingListedNothingTouched) {
  WantedAddresses wanted;
  wanted.statics = {addr("192.0.2.1/32")};
  const ReclaimPlan plan = planReclaim(Ledger{}, {addr("192.0.2.1/32"), addr("192.0.2.2/32")}, wanted);
  EXPECT_TRUE(plan.adoptStatic.empty());
  EXPECT_TRUE(plan.remove.empty());
  EXPECT_TRUE(plan.forget.empty());
  EXPECT_TRUE(plan.handToVrrp.empty());
}

}  // namespace
}  // namespace ha
