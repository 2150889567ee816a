// NetlinkNftWriter at scale, in the namespace tests/netns/test_nft_writer.sh
// creates. Prints the apply times the report quotes; asserts only the 1 s
// budget of a full apply.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <utility>

#include "director/nft/names.h"
#include "tests/netns_bin/nft_writer_fixture.h"

namespace ha::director::nft::test {
namespace {

// Chains of this synthetic shape; directord itself routes services to shared class chains.
std::string serviceChain(uint32_t s) { return "svc_" + std::to_string(s); }

constexpr uint32_t kSlots = 10;

long long msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

// The whole ruleset for `services` services with kSlots backends each. With
// sharedTail every service chain marks the flow and jumps to one `dnat4` chain
// that owns the only lookup into backends4; otherwise each service chain does
// its own lookup (scheduleRule).
Transaction fullRuleset(uint32_t services, bool sharedTail, bool replace) {
  Transaction tx;
  tx.ops.push_back(AddTable{kInet});
  if (replace) {
    tx.ops.push_back(DeleteTable{kInet});
    tx.ops.push_back(AddTable{kInet});
  }
  SetDef vmapDef = services4();
  SetDef mapDef = backends4();
  vmapDef.size = services;  // a size hint lets the kernel pick a fixed-size hash
  mapDef.size = services * kSlots;
  tx.ops.push_back(AddSet{kInet, vmapDef});
  tx.ops.push_back(AddSet{kInet, mapDef});
  tx.ops.push_back(
      AddChain{kInet, baseChain("prerouting", BaseHook::Hook::kPrerouting, -100, "nat")});
  tx.ops.push_back(AddChain{kInet, regularChain("dnat4")});
  for (uint32_t s = 1; s <= services; ++s)
    tx.ops.push_back(AddChain{kInet, regularChain(serviceChain(s))});
  tx.ops.push_back(AddRule{kInet, "prerouting", dispatchRule()});
  if (sharedTail) {
    // Registers do not survive into another rule, so the tail reloads the mark
    // from conntrack.
    tx.ops.push_back(
        AddRule{kInet, "dnat4",
                Rule{{MetaLoad{MetaKey::kNfproto, Reg::k0}, nfprotoIs(NFPROTO_IPV4),
                      CtLoad{CtKey::kMark, std::nullopt, Reg::k0}, NumgenInc{Reg::k1, kSlots},
                      Lookup{"backends4", Reg::k0, Reg::k2},
                      Nat{Nat::Type::kDnat, false, Reg::k2, std::nullopt, Reg::k3}},
                     ""}});
  }
  AddElements vmap{kInet, "services4", {}};
  AddElements map{kInet, "backends4", {}};
  for (uint32_t s = 1; s <= services; ++s) {
    const uint32_t mark = serviceMark(s);
    Rule r;
    if (sharedTail) {
      r = Rule{{ImmediateData{Reg::k0, u32Host(mark)}, CtSetMark{Reg::k0},
                ImmediateVerdict{Verdict{Verdict::Code::kGoto, "dnat4"}}},
               ""};
    } else {
      r = scheduleRule(kSlots);
      r.exprs[2] = ImmediateData{Reg::k0, u32Host(mark)};
    }
    tx.ops.push_back(AddRule{kInet, serviceChain(s), std::move(r)});
    const Bytes vip = ipv4(10, static_cast<uint8_t>(s >> 8), static_cast<uint8_t>(s), 1);
    vmap.elements.push_back(
        {serviceKey(kProtoTcp, vip, 80), Verdict{Verdict::Code::kGoto, serviceChain(s)}});
    for (uint32_t slot = 0; slot < kSlots; ++slot) {
      map.elements.push_back(
          {backendKey(mark, slot),
           backendData(ipv4(192, 168, static_cast<uint8_t>(slot), static_cast<uint8_t>(s)), 8080)});
    }
  }
  tx.ops.push_back(std::move(vmap));
  tx.ops.push_back(std::move(map));
  return tx;
}

// 10k service chains + 10k rules + a 10k-element vmap + a 100k-element map
// commit in under 1 s, and so does replacing all of it; a health flip on top
// costs milliseconds.
TEST_F(NftWriterNetnsTest, FullApplyAtScale) {
  constexpr uint32_t kServices = 10000;
  const Transaction full = fullRuleset(kServices, true, false);
  auto start = std::chrono::steady_clock::now();
  commitOk(full);
  const auto first = msSince(start);
  std::printf("nft_writer: full apply 10k chains + 110k elements: %lld ms\n", first);
  EXPECT_LT(first, 1000);

  const Transaction replace = fullRuleset(kServices, true, true);
  start = std::chrono::steady_clock::now();
  commitOk(replace);
  std::printf(
      "nft_writer: replace (delete + re-add table) 10k chains + 110k "
      "elements: %lld ms\n",
      msSince(start));

  EXPECT_EQ(inspect_.chains(kInet).size(), kServices + 2);
  EXPECT_EQ(inspect_.elements(kInet, "services4").size(), kServices);
  EXPECT_EQ(inspect_.elements(kInet, "backends4").size(), kServices * kSlots);

  const Bytes key = backendKey(serviceMark(1), 0);
  start = std::chrono::steady_clock::now();
  commitOk(Transaction{
      {DeleteElements{kInet, "backends4", {{key, {}}}},
       AddElements{kInet, "backends4", {{key, backendData(ipv4(192, 168, 9, 9), 8080)}}}}});
  const auto flip = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  std::printf("nft_writer: element flip on the full table: %lld us\n",
              static_cast<long long>(flip.count()));
}

// Measures the kernel's cost per (map element x rule that looks the map up):
// with one lookup per service chain, doubling the services quadruples the
// apply. Printed for the lead, not asserted.
TEST_F(NftWriterNetnsTest, PerServiceLookupsScaleQuadratically) {
  for (uint32_t services : {1000u, 2000u}) {
    const Transaction tx = fullRuleset(services, false, true);
    const auto start = std::chrono::steady_clock::now();
    commitOk(tx);
    std::printf(
        "nft_writer: %u chains each looking up backends4 (%u "
        "elements): %lld ms\n",
        services, services * kSlots, msSince(start));
  }
}

}  // namespace
}  // namespace ha::director::nft::test
