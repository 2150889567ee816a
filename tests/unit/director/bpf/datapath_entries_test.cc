// What the eBPF datapath's maps hold for a plan, and the order the writes go in.
#include "director/bpf/datapath_entries.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstring>

#include "director/bpf/abi.h"
#include "tests/unit/director/nft/plan_fixtures.h"

namespace ha::director::bpf {
namespace {

using testing::ip;
using testing::service;

template <typename T>
T as(const Bytes& bytes) {
  T out{};
  EXPECT_EQ(bytes.size(), sizeof(T));
  std::memcpy(&out, bytes.data(), std::min(bytes.size(), sizeof(T)));
  return out;
}

template <typename T>
Bytes bytesOf(const T& value) {
  return Bytes(reinterpret_cast<const char*>(&value), sizeof(T));
}

ForwardingPlan tunPlan() {
  ForwardingPlan plan;
  plan.hashSeed = 0x1234abcd;
  Endpoint r1{ip("203.0.113.11"), 80}, r2{ip("203.0.113.12"), 80};
  auto tun = service(3, Protocol::kTcp, "192.0.2.50", 80, ForwardMode::kTun, "mh",
                     SlotPick::kFlowHash, {r1, r2, r1});
  tun.hashPort = true;
  tun.ingressDevice = "eth0";
  plan.services[3] = tun;
  auto nat = service(4, Protocol::kTcp, "192.0.2.51", 80, ForwardMode::kNat, "rr",
                     SlotPick::kRotation, {r1});
  plan.services[4] = nat;
  plan.bpfDevices["eth0"] = 7;
  return plan;
}

dd_service_key keyOf(const char* vip, uint16_t port, uint8_t protocol = IPPROTO_TCP) {
  dd_service_key key{};
  auto a = ip(vip);
  key.family = a.isV4() ? AF_INET : AF_INET6;
  key.protocol = protocol;
  key.port = htons(port);
  std::memcpy(key.vip, a.bytes(), a.size());
  return key;
}

TEST(DatapathEntries, ATunServiceIsKeyedAsThePacketNamesItWithItsSlotTable) {
  auto entries = datapathEntriesOf(tunPlan());
  ASSERT_TRUE(entries) << entries.error();
  const auto& services = entries->maps.at(kServicesMap);
  ASSERT_EQ(services.size(), 1u);  // the NAT service is nftables' alone
  auto it = services.find(bytesOf(keyOf("192.0.2.50", 80)));
  ASSERT_NE(it, services.end());
  auto value = as<dd_service>(it->second);
  EXPECT_EQ(value.id, 3u);
  EXPECT_EQ(value.flags, uint32_t{DD_SVC_TUN | DD_SVC_HASH_PORT});
  EXPECT_EQ(value.modulus, 3u);
  EXPECT_EQ(value.seed, 0x1234abcdu);
  const auto& slots = entries->maps.at(kSlotsMap);
  ASSERT_EQ(slots.size(), 3u);
  auto real = as<dd_real>(slots.at(bytesOf(dd_slot_key{3, 1})));
  EXPECT_EQ(real.family, AF_INET);
  EXPECT_EQ(0, std::memcmp(real.addr, ip("203.0.113.12").bytes(), 4));
  EXPECT_EQ(entries->devices, (std::map<std::string, uint32_t>{{"eth0", 7}}));
  dd_vip_key vip{};
  vip.family = AF_INET;
  std::memcpy(vip.vip, ip("192.0.2.50").bytes(), 4);
  EXPECT_EQ(as<uint32_t>(entries->maps.at(kVipsMap).at(bytesOf(vip))),
            uint32_t{DD_SVC_TUN | DD_SVC_HASH_PORT});
}

TEST(DatapathEntries, ATunServiceWithoutRealsHasModulusZeroAndNoSlots) {
  auto plan = tunPlan();
  plan.services[3].slots.clear();
  auto entries = datapathEntriesOf(plan);
  ASSERT_TRUE(entries) << entries.error();
  EXPECT_EQ(as<dd_service>(entries->maps.at(kServicesMap).begin()->second).modulus, 0u);
  EXPECT_TRUE(entries->maps.at(kSlotsMap).empty());
}

TEST(DatapathEntries, ClientAddressServicesCarryTheToaFlagAndNoSlots) {
  ForwardingPlan plan;
  auto fnat = service(9, Protocol::kTcp, "fd00:1::50", 443, ForwardMode::kFullNat, "wlc",
                      SlotPick::kRotation, {{ip("fd00:2::11"), 443}});
  fnat.clientAddressToa = true;
  fnat.ingressDevice = "eth1";
  plan.services[9] = fnat;
  plan.bpfDevices["eth1"] = 3;
  auto entries = datapathEntriesOf(plan);
  ASSERT_TRUE(entries) << entries.error();
  auto value = as<dd_service>(entries->maps.at(kServicesMap).at(bytesOf(keyOf("fd00:1::50", 443))));
  EXPECT_EQ(value.flags, uint32_t{DD_SVC_TOA});
  EXPECT_TRUE(entries->maps.at(kSlotsMap).empty());
}

TEST(DatapathEntries, AGroupHasOneServiceEntryPerMember) {
  auto plan = tunPlan();
  auto& sp = plan.services[3];
  sp.key = ServiceKey{Protocol::kUdp, ip("0.0.0.0"), 0, 0, "G"};
  sp.groupAddresses = {{ip("192.0.2.60"), 53}, {ip("192.0.2.61"), 53}};
  auto entries = datapathEntriesOf(plan);
  ASSERT_TRUE(entries) << entries.error();
  const auto& services = entries->maps.at(kServicesMap);
  EXPECT_EQ(services.size(), 2u);
  EXPECT_EQ(services.count(bytesOf(keyOf("192.0.2.61", 53, IPPROTO_UDP))), 1u);
  EXPECT_EQ(entries->maps.at(kVipsMap).size(), 2u);
  EXPECT_EQ(entries->maps.at(kSlotsMap).size(), 3u);  // one table for both members
}

TEST(DatapathEntries, ARealOfTheOtherFamilyIsRefused) {
  auto plan = tunPlan();
  plan.services[3].slots.push_back({ip("fd00:2::11"), 80});
  auto entries = datapathEntriesOf(plan);
  ASSERT_FALSE(entries);
  EXPECT_NE(entries.error().find("not of the VIP's family"), std::string::npos) << entries.error();
}

TEST(DatapathEntries, APlanWithoutTunOrToaNeedsNothing) {
  auto plan = tunPlan();
  plan.services.erase(3);
  auto entries = datapathEntriesOf(plan);
  ASSERT_TRUE(entries);
  EXPECT_TRUE(entries->empty());
  EXPECT_TRUE(entries->maps.empty());
}

TEST(DatapathEntries, MoreSlotsThanTheMapHoldsAreRefused) {
  auto plan = tunPlan();
  plan.services[3].slots.assign(DD_MAX_SLOTS + 1, {ip("203.0.113.11"), 80});
  auto entries = datapathEntriesOf(plan);
  ASSERT_FALSE(entries);
  EXPECT_NE(entries.error().find("TUN slots"), std::string::npos) << entries.error();
}

TEST(MapWrites, AddsGoSlotsFirstAndDeletesGoVipsFirst) {
  auto entries = datapathEntriesOf(tunPlan());
  ASSERT_TRUE(entries);
  auto adds = mapWrites({}, *entries);
  ASSERT_EQ(adds.size(), 5u);  // 3 slots, 1 service, 1 VIP
  EXPECT_EQ(adds.front().map, kSlotsMap);
  EXPECT_EQ(adds.back().map, kVipsMap);
  for (const auto& w : adds) EXPECT_TRUE(w.value.has_value());
  auto deletes = mapWrites(*entries, {});
  ASSERT_EQ(deletes.size(), 5u);
  EXPECT_EQ(deletes.front().map, kVipsMap);
  EXPECT_EQ(deletes.back().map, kSlotsMap);
  for (const auto& w : deletes) EXPECT_FALSE(w.value.has_value());
}

TEST(MapWrites, AShrunkTableRewritesTheServiceBeforeDroppingTheSlotsItNoLongerUses) {
  auto before = datapathEntriesOf(tunPlan());
  auto plan = tunPlan();
  plan.services[3].slots.pop_back();
  auto after = datapathEntriesOf(plan);
  ASSERT_TRUE(before && after);
  auto writes = mapWrites(*before, *after);
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_EQ(writes[0].map, kServicesMap);
  EXPECT_EQ(as<dd_service>(*writes[0].value).modulus, 2u);
  EXPECT_EQ(writes[1].map, kSlotsMap);
  EXPECT_FALSE(writes[1].value.has_value());
  EXPECT_TRUE(mapWrites(*after, *after).empty());
}

}  // namespace
}  // namespace ha::director::bpf
