// NetlinkNftWriter against the real kernel. Run only by tests/netns/test_nft_writer.sh inside a
// throwaway network namespace (it refuses to run in the initial one). Objects are read back with
// independent libnftnl dumps (nft_inspector.h), never through the writer under test.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/netfilter.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "director/nft/names.h"
#include "director/nft/netlink_writer.h"
#include "tests/netns_bin/nft_inspector.h"

namespace ha::director::nft {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

const TableId kInet{TableFamily::kInet, "directord"};
const TableId kNetdev{TableFamily::kNetdev, "directord"};
constexpr uint32_t kProtoTcp = 6;

// The script passes the inode of the namespace it started in; anything else is refused, so the
// binary never rewrites the host's ruleset by accident.
bool inHostNetns() {
  const char* host = std::getenv("HA_HOST_NETNS_INODE");
  struct stat self {};
  if (host == nullptr || stat("/proc/self/ns/net", &self) != 0) return true;
  return std::to_string(self.st_ino) == host;
}

Bytes u32Host(uint32_t v) { return KeyBuilder().hostU32(v).take(); }
Bytes ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) { return {a, b, c, d}; }
// l4proto . ipv4 . port, each padded to a register: the services4 key.
Bytes serviceKey(uint8_t proto, const Bytes& vip, uint16_t port) {
  return KeyBuilder().u8(proto).raw(vip.data(), 4).be16(port).take();
}
// mark . slot: the backends4 key; addr . port: its data.
Bytes backendKey(uint32_t mark, uint32_t slot) { return KeyBuilder().hostU32(mark).hostU32(slot).take(); }
Bytes backendData(const Bytes& addr, uint16_t port) { return KeyBuilder().raw(addr.data(), 4).be16(port).take(); }

Expr nfprotoIs(uint8_t proto) { return Cmp{CmpOp::kEq, Reg::k0, {proto}}; }

SetDef services4() {
  SetDef s{.name = "services4", .map = true, .verdictMap = true};
  s.keyType = (12u << 12) | (7u << 6) | 13u;  // inet_proto . ipv4_addr . inet_service
  s.keyLen = 12;
  return s;
}
SetDef backends4() {
  SetDef s{.name = "backends4", .map = true};
  s.keyType = (19u << 6) | 19u;  // mark . mark (slot)
  s.keyLen = 8;
  s.dataType = (7u << 6) | 13u;  // ipv4_addr . inet_service
  s.dataLen = 8;
  return s;
}
ChainDef baseChain(std::string name, BaseHook::Hook hook, int32_t prio, std::string type,
                   std::string device = {}) {
  return ChainDef{std::move(name), BaseHook{hook, prio, std::move(type), std::move(device)}, {}};
}
ChainDef regularChain(std::string name) { return ChainDef{std::move(name), std::nullopt, {}}; }

// The production dispatch rule: meta l4proto . ip daddr . th dport vmap @services4.
Rule dispatchRule() {
  return Rule{{MetaLoad{MetaKey::kNfproto, Reg::k0}, nfprotoIs(NFPROTO_IPV4),
               MetaLoad{MetaKey::kL4proto, Reg::k0},
               PayloadLoad{PayloadBase::kNetwork, 16, 4, Reg::k1},
               PayloadLoad{PayloadBase::kTransport, 2, 2, Reg::k2},
               Lookup{"services4", Reg::k0, Reg::kVerdict}},
              "services4 dispatch"};
}
// A service chain's scheduling rule: ct mark . numgen -> real . port, dnat to it.
Rule scheduleRule(uint32_t modulus) {
  return Rule{{MetaLoad{MetaKey::kNfproto, Reg::k0}, nfprotoIs(NFPROTO_IPV4),
               CtLoad{CtKey::kMark, std::nullopt, Reg::k0}, NumgenInc{Reg::k1, modulus},
               Lookup{"backends4", Reg::k0, Reg::k2},
               Nat{Nat::Type::kDnat, false, Reg::k2, std::nullopt, Reg::k3}},
              ""};
}

void sendUdp(int count) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(9);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const char payload[] = "directord";
  for (int i = 0; i < count; ++i) {
    sendto(fd, payload, sizeof payload, MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&to), sizeof to);
  }
  close(fd);
}

class NftWriterNetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (inHostNetns()) GTEST_SKIP() << "refusing to touch the initial network namespace; run tests/netns/test_nft_writer.sh";
    auto w = NetlinkNftWriter::open();
    ASSERT_TRUE(w.ok()) << w.error();
    writer_ = std::move(*w);
    dropTables();
  }
  void TearDown() override {
    if (writer_) dropTables();
  }
  // add + delete in one batch removes a table whether or not it existed.
  void dropTables() {
    Transaction tx;
    for (const TableId& t : {kInet, kNetdev}) {
      tx.ops.push_back(AddTable{t});
      tx.ops.push_back(DeleteTable{t});
    }
    Status st = writer_->commit(tx);
    ASSERT_TRUE(st.ok()) << st.error();
  }
  void commitOk(const Transaction& tx) {
    Status st = writer_->commit(tx);
    ASSERT_TRUE(st.ok()) << st.error();
  }

  std::unique_ptr<NetlinkNftWriter> writer_;
  test::NftInspector inspect_;
};

// The production rule shapes (inet nat dispatch, service chain, SNAT, sh hash, netdev DR fwd) are
// accepted by the kernel and read back object by object.
TEST_F(NftWriterNetnsTest, ProductionShapesRoundTrip) {
  Transaction tx;
  tx.ops.push_back(AddTable{kInet});
  tx.ops.push_back(AddSet{kInet, services4()});
  tx.ops.push_back(AddSet{kInet, backends4()});
  tx.ops.push_back(AddSet{kInet, SetDef{.name = "laddrs4", .map = true, .keyType = 19, .keyLen = 4,
                                         .dataType = 7, .dataLen = 4}});
  tx.ops.push_back(AddChain{kInet, baseChain("prerouting", BaseHook::Hook::kPrerouting, -100, "nat")});
  tx.ops.push_back(AddChain{kInet, baseChain("postrouting", BaseHook::Hook::kPostrouting, 100, "nat")});
  tx.ops.push_back(AddChain{kInet, regularChain("svc_1")});
  tx.ops.push_back(AddChain{kInet, regularChain("svc_2")});
  tx.ops.push_back(AddRule{kInet, "prerouting", dispatchRule()});
  tx.ops.push_back(AddRule{kInet, "svc_1",
                           Rule{{ImmediateData{Reg::k0, u32Host(0xd1000001)}, CtSetMark{Reg::k0}, Counter{}},
                                "service 1"}});
  tx.ops.push_back(AddRule{kInet, "svc_1", scheduleRule(3)});
  // sh: jhash(ip saddr . th sport) with a fixed seed selects the slot.
  tx.ops.push_back(AddRule{kInet, "svc_2",
                           Rule{{MetaLoad{MetaKey::kNfproto, Reg::k0}, nfprotoIs(NFPROTO_IPV4),
                                 ImmediateData{Reg::k0, u32Host(0xd1000002)}, CtSetMark{Reg::k0},
                                 PayloadLoad{PayloadBase::kNetwork, 12, 4, Reg::k4},
                                 PayloadLoad{PayloadBase::kTransport, 0, 2, Reg::k5},
                                 Jhash{Reg::k4, 8, Reg::k1, 7, 0x5eed}, Lookup{"backends4", Reg::k0, Reg::k2},
                                 Nat{Nat::Type::kDnat, false, Reg::k2, std::nullopt, Reg::k3}},
                                ""}});
  // FULLNAT source side: flows we marked get the local address; others return.
  tx.ops.push_back(AddRule{kInet, "postrouting",
                           Rule{{MetaLoad{MetaKey::kNfproto, Reg::k0}, nfprotoIs(NFPROTO_IPV4),
                                 CtLoad{CtKey::kMark, std::nullopt, Reg::k0},
                                 Bitwise{Reg::k0, Reg::k1, u32Host(0xff000000), {}},
                                 Cmp{CmpOp::kNeq, Reg::k1, u32Host(0xd1000000)},
                                 ImmediateVerdict{Verdict{Verdict::Code::kReturn, ""}}},
                                ""}});
  tx.ops.push_back(AddRule{kInet, "postrouting",
                           Rule{{MetaLoad{MetaKey::kNfproto, Reg::k0}, nfprotoIs(NFPROTO_IPV4),
                                 CtLoad{CtKey::kSrcIp, CtDir::kReply, Reg::k1},
                                 CtLoad{CtKey::kMark, std::nullopt, Reg::k0},
                                 Lookup{"laddrs4", Reg::k0, Reg::k2},
                                 Nat{Nat::Type::kSnat, false, Reg::k2, Reg::k2, std::nullopt}},
                                "fullnat snat"}});
  tx.ops.push_back(AddElements{kInet, "services4",
                               {Element{serviceKey(kProtoTcp, ipv4(10, 0, 0, 1), 80),
                                        Verdict{Verdict::Code::kGoto, "svc_1"}},
                                Element{serviceKey(kProtoTcp, ipv4(10, 0, 0, 2), 443),
                                        Verdict{Verdict::Code::kJump, "svc_2"}},
                                Element{serviceKey(kProtoTcp, ipv4(10, 0, 0, 3), 22),
                                        Verdict{Verdict::Code::kDrop, ""}}}});
  std::vector<Element> backends;
  for (uint32_t slot = 0; slot < 3; ++slot) {
    backends.push_back({backendKey(0xd1000001, slot),
                        backendData(ipv4(192, 168, 1, static_cast<uint8_t>(10 + slot)), 8080)});
  }
  tx.ops.push_back(AddElements{kInet, "backends4", backends});
  tx.ops.push_back(AddElements{kInet, "laddrs4", {{u32Host(0xd1000001), ipv4(10, 1, 0, 1)}}});

  // DR: netdev ingress on lo picks a chain that forwards to a neighbour.
  const auto lo = if_nametoindex("lo");
  tx.ops.push_back(AddTable{kNetdev});
  tx.ops.push_back(AddChain{kNetdev, baseChain("ingress_lo", BaseHook::Hook::kIngress, -500, "filter", "lo")});
  tx.ops.push_back(AddChain{kNetdev, regularChain("dr_svc_1")});
  tx.ops.push_back(AddRule{kNetdev, "dr_svc_1",
                           Rule{{ImmediateData{Reg::k0, u32Host(lo)}, ImmediateData{Reg::k1, ipv4(10, 0, 0, 9)},
                                 Fwd{Reg::k0, Reg::k1, false}},
                                "dr real"}});
  // Protocol 253 (RFC 3692 experiments) never shows up here, so the fwd never fires.
  tx.ops.push_back(AddRule{kNetdev, "ingress_lo",
                           Rule{{MetaLoad{MetaKey::kL4proto, Reg::k0}, Cmp{CmpOp::kEq, Reg::k0, {253}},
                                 ImmediateVerdict{Verdict{Verdict::Code::kGoto, "dr_svc_1"}}},
                                ""}});
  commitOk(tx);

  EXPECT_THAT(inspect_.sets(kInet), UnorderedElementsAre("services4", "backends4", "laddrs4"));
  auto vmap = inspect_.set(kInet, "services4");
  EXPECT_EQ(vmap.flags, uint32_t{NFT_SET_MAP});
  EXPECT_EQ(vmap.keyLen, 12u);
  EXPECT_EQ(vmap.dataType, uint32_t{NFT_DATA_VERDICT});
  EXPECT_EQ(inspect_.set(kInet, "backends4").dataLen, 8u);
  EXPECT_THAT(inspect_.chains(kInet), UnorderedElementsAre("prerouting", "postrouting", "svc_1", "svc_2"));
  auto rules = inspect_.rules(kInet);
  ASSERT_EQ(rules.size(), 6u);
  EXPECT_EQ(rules[0].chain, "prerouting");
  EXPECT_THAT(rules[0].exprs, ElementsAre("meta", "cmp", "meta", "payload", "payload", "lookup"));
  EXPECT_EQ(rules[0].comment, "services4 dispatch");
  auto svc1 = inspect_.rulesOf(kInet, "svc_1");
  ASSERT_EQ(svc1.size(), 2u);
  EXPECT_THAT(svc1[0].exprs, ElementsAre("immediate", "ct", "counter"));
  EXPECT_THAT(svc1[1].exprs, ElementsAre("meta", "cmp", "ct", "numgen", "lookup", "nat"));
  EXPECT_THAT(inspect_.rulesOf(kInet, "svc_2")[0].exprs,
              ElementsAre("meta", "cmp", "immediate", "ct", "payload", "payload", "hash", "lookup", "nat"));

  auto services = inspect_.elements(kInet, "services4");
  ASSERT_EQ(services.size(), 3u);
  for (const auto& e : services) {
    if (e.key == serviceKey(kProtoTcp, ipv4(10, 0, 0, 1), 80)) {
      EXPECT_EQ(e.verdict, static_cast<uint32_t>(NFT_GOTO));
      EXPECT_EQ(e.chain, "svc_1");
    } else if (e.key == serviceKey(kProtoTcp, ipv4(10, 0, 0, 3), 22)) {
      EXPECT_EQ(e.verdict, uint32_t{NF_DROP});
    }
  }
  auto be = inspect_.elements(kInet, "backends4");
  ASSERT_EQ(be.size(), 3u);
  for (const auto& e : be) EXPECT_EQ(e.data.size(), 8u);

  EXPECT_THAT(inspect_.chains(kNetdev), UnorderedElementsAre("ingress_lo", "dr_svc_1"));
  EXPECT_THAT(inspect_.rulesOf(kNetdev, "dr_svc_1")[0].exprs, ElementsAre("immediate", "immediate", "fwd"));
  // nft itself can list what we installed (its formatting is not checked).
  EXPECT_EQ(std::system("nft list table inet directord >/dev/null && nft list table netdev directord >/dev/null"), 0);
}

// Re-sending existing objects is not an error (NLM_F_CREATE without NLM_F_EXCL).
TEST_F(NftWriterNetnsTest, AddingExistingObjectsIsIdempotent) {
  Transaction tx;
  tx.ops.push_back(AddTable{kInet});
  tx.ops.push_back(AddSet{kInet, backends4()});
  tx.ops.push_back(AddChain{kInet, baseChain("prerouting", BaseHook::Hook::kPrerouting, -100, "nat")});
  tx.ops.push_back(AddElements{kInet, "backends4", {{backendKey(1, 0), backendData(ipv4(1, 2, 3, 4), 80)}}});
  commitOk(tx);
  commitOk(tx);
  EXPECT_THAT(inspect_.chains(kInet), ElementsAre("prerouting"));
  EXPECT_EQ(inspect_.elements(kInet, "backends4").size(), 1u);
}

// A batch whose last op fails lands nothing, and the error names that op's chain and expression.
TEST_F(NftWriterNetnsTest, FailingLastOpAbortsTheWholeBatch) {
  commitOk(Transaction{{AddTable{kInet}, AddChain{kInet, regularChain("keep")}}});

  Transaction tx;
  tx.ops.push_back(AddChain{kInet, regularChain("new_chain")});
  tx.ops.push_back(AddSet{kInet, backends4()});
  tx.ops.push_back(AddElements{kInet, "backends4", {{backendKey(1, 0), backendData(ipv4(1, 2, 3, 4), 80)}}});
  tx.ops.push_back(AddChain{kInet, regularChain("svc_3")});
  tx.ops.push_back(AddRule{kInet, "svc_3",
                           Rule{{MetaLoad{MetaKey::kMark, Reg::k0}, Lookup{"missing", Reg::k0, std::nullopt}}, ""}});
  Status st = writer_->commit(tx);
  ASSERT_FALSE(st.ok());
  std::printf("nft_writer: rejected batch reports: %s\n", st.error().c_str());
  EXPECT_THAT(st.error(), StartsWith("add rule to chain svc_3 in inet directord"));
  EXPECT_THAT(st.error(), HasSubstr("No such file or directory"));
  EXPECT_THAT(st.error(), HasSubstr("expression 2 of 2: lookup"));
  EXPECT_THAT(inspect_.chains(kInet), ElementsAre("keep"));
  EXPECT_THAT(inspect_.sets(kInet), IsEmpty());
}

// A clashing element is named by its position and key inside a many-element message.
TEST_F(NftWriterNetnsTest, ElementErrorNamesTheElement) {
  commitOk(Transaction{{AddTable{kInet}, AddSet{kInet, backends4()},
                        AddElements{kInet, "backends4", {{backendKey(7, 499), backendData(ipv4(1, 1, 1, 1), 80)}}}}});
  std::vector<Element> batch;
  for (uint32_t i = 0; i < 1000; ++i) batch.push_back({backendKey(7, i), backendData(ipv4(2, 2, 2, 2), 80)});
  Status st = writer_->commit(Transaction{{AddElements{kInet, "backends4", batch}}});
  ASSERT_FALSE(st.ok());
  std::printf("nft_writer: clashing element reports: %s\n", st.error().c_str());
  EXPECT_THAT(st.error(), StartsWith("add element to set backends4 in inet directord"));
  EXPECT_THAT(st.error(), HasSubstr("element 500 of 1000"));
  EXPECT_THAT(st.error(), HasSubstr("File exists"));
  EXPECT_EQ(inspect_.elements(kInet, "backends4").size(), 1u);
}

// [AddTable, DeleteTable, AddTable, ...] replaces a stale table atomically.
TEST_F(NftWriterNetnsTest, DeleteAndReAddTableInOneBatch) {
  commitOk(Transaction{{AddTable{kInet}, AddChain{kInet, regularChain("stale")}, AddSet{kInet, backends4()}}});
  commitOk(Transaction{{AddTable{kInet}, DeleteTable{kInet}, AddTable{kInet},
                        AddChain{kInet, regularChain("fresh")}}});
  EXPECT_THAT(inspect_.chains(kInet), ElementsAre("fresh"));
  EXPECT_THAT(inspect_.sets(kInet), IsEmpty());
}

// Deleting an element and adding it back with new data in one batch replaces its data.
TEST_F(NftWriterNetnsTest, ElementDeleteThenAddInOneBatch) {
  const Bytes key = backendKey(0xd1000001, 0);
  commitOk(Transaction{{AddTable{kInet}, AddSet{kInet, backends4()},
                        AddElements{kInet, "backends4", {{key, backendData(ipv4(10, 0, 0, 1), 80)}}}}});
  commitOk(Transaction{{DeleteElements{kInet, "backends4", {{key, {}}}},
                        AddElements{kInet, "backends4", {{key, backendData(ipv4(10, 0, 0, 2), 81)}}}}});
  auto elems = inspect_.elements(kInet, "backends4");
  ASSERT_EQ(elems.size(), 1u);
  EXPECT_EQ(elems[0].data, backendData(ipv4(10, 0, 0, 2), 81));
}

// FlushChain and DeleteChain/DeleteSet remove what they name.
TEST_F(NftWriterNetnsTest, FlushAndDelete) {
  commitOk(Transaction{{AddTable{kInet}, AddSet{kInet, backends4()}, AddChain{kInet, regularChain("a")},
                        AddChain{kInet, regularChain("b")}, AddRule{kInet, "a", Rule{{Counter{}}, ""}},
                        AddRule{kInet, "a", Rule{{Counter{}}, ""}}}});
  commitOk(Transaction{{FlushChain{kInet, "a"}, DeleteChain{kInet, "b"}, DeleteSet{kInet, "backends4"}}});
  EXPECT_THAT(inspect_.chains(kInet), ElementsAre("a"));
  EXPECT_THAT(inspect_.rules(kInet), IsEmpty());
  EXPECT_THAT(inspect_.sets(kInet), IsEmpty());
}

// A chain's first counter counts packets sent through the output hook.
TEST_F(NftWriterNetnsTest, ChainCountersSeeOutputPackets) {
  commitOk(Transaction{{AddTable{kInet}, AddChain{kInet, baseChain("out", BaseHook::Hook::kOutput, 0, "filter")},
                        AddRule{kInet, "out", Rule{{MetaLoad{MetaKey::kL4proto, Reg::k0},
                                                    Cmp{CmpOp::kEq, Reg::k0, {IPPROTO_UDP}}, Counter{}},
                                                   "udp out"}},
                        AddRule{kInet, "out", Rule{{Counter{}}, "all out"}}}});
  sendUdp(3);
  auto counters = writer_->readChainCounters(kInet);
  ASSERT_TRUE(counters.ok()) << counters.error();
  ASSERT_EQ(counters->size(), 1u);
  EXPECT_EQ((*counters)[0].chain, "out");
  EXPECT_GE((*counters)[0].packets, 3u);
  EXPECT_GT((*counters)[0].bytes, 0u);
}

// A dynamic set with per-element counters, filled by a dynset rule, reads back per element.
TEST_F(NftWriterNetnsTest, DynsetCountersPerElement) {
  SetDef stats{.name = "stats4", .dynamic = true, .timeout = true, .keyType = 7, .keyLen = 4};
  stats.size = 65535;
  stats.counterPerElement = true;
  commitOk(Transaction{{AddTable{kInet}, AddSet{kInet, stats},
                        AddChain{kInet, baseChain("out", BaseHook::Hook::kOutput, 0, "filter")},
                        AddRule{kInet, "out", Rule{{MetaLoad{MetaKey::kNfproto, Reg::k0}, nfprotoIs(NFPROTO_IPV4),
                                                    PayloadLoad{PayloadBase::kNetwork, 16, 4, Reg::k0},
                                                    Dynset{Dynset::Op::kUpdate, "stats4", Reg::k0, std::nullopt,
                                                           60000, true}},
                                                   "per-destination stats"}}}});
  sendUdp(2);
  auto counters = writer_->readSetCounters(kInet, "stats4");
  ASSERT_TRUE(counters.ok()) << counters.error();
  ASSERT_EQ(counters->size(), 1u);
  EXPECT_EQ((*counters)[0].key, ipv4(127, 0, 0, 1));
  EXPECT_GE((*counters)[0].packets, 2u);

  auto missing = writer_->readSetCounters(kInet, "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error(), HasSubstr("No such file or directory"));
}

// Scale: 10k service chains + 10k rules + a 10k-element vmap + a 100k-element map in one commit.
TEST_F(NftWriterNetnsTest, FullApplyAtScale) {
  constexpr uint32_t kServices = 10000;
  constexpr uint32_t kSlots = 10;
  auto fullApply = [&](bool replace) {
    Transaction tx;
    tx.ops.push_back(AddTable{kInet});
    if (replace) {
      tx.ops.push_back(DeleteTable{kInet});
      tx.ops.push_back(AddTable{kInet});
    }
    tx.ops.push_back(AddSet{kInet, services4()});
    tx.ops.push_back(AddSet{kInet, backends4()});
    tx.ops.push_back(AddChain{kInet, baseChain("prerouting", BaseHook::Hook::kPrerouting, -100, "nat")});
    for (uint32_t s = 1; s <= kServices; ++s) tx.ops.push_back(AddChain{kInet, regularChain(serviceChain(s))});
    tx.ops.push_back(AddRule{kInet, "prerouting", dispatchRule()});
    AddElements vmap{kInet, "services4", {}};
    AddElements map{kInet, "backends4", {}};
    for (uint32_t s = 1; s <= kServices; ++s) {
      Rule r = scheduleRule(kSlots);
      r.exprs[2] = ImmediateData{Reg::k0, u32Host(0xd1000000 | s)};
      tx.ops.push_back(AddRule{kInet, serviceChain(s), std::move(r)});
      const Bytes vip = ipv4(10, static_cast<uint8_t>(s >> 8), static_cast<uint8_t>(s), 1);
      vmap.elements.push_back({serviceKey(kProtoTcp, vip, 80), Verdict{Verdict::Code::kGoto, serviceChain(s)}});
      for (uint32_t slot = 0; slot < kSlots; ++slot) {
        map.elements.push_back({backendKey(0xd1000000 | s, slot),
                                backendData(ipv4(192, 168, static_cast<uint8_t>(slot), static_cast<uint8_t>(s)), 8080)});
      }
    }
    tx.ops.push_back(std::move(vmap));
    tx.ops.push_back(std::move(map));
    const auto start = std::chrono::steady_clock::now();
    Status st = writer_->commit(tx);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    EXPECT_TRUE(st.ok()) << st.error();
    return ms.count();
  };
  const auto first = fullApply(false);
  std::printf("nft_writer: full apply 10k chains + 110k elements: %lld ms\n", static_cast<long long>(first));
  const auto replace = fullApply(true);
  std::printf("nft_writer: replace (delete + re-add table) 10k chains + 110k elements: %lld ms\n",
              static_cast<long long>(replace));
  EXPECT_LT(first, 1000);

  EXPECT_EQ(inspect_.chains(kInet).size(), kServices + 1);
  EXPECT_EQ(inspect_.elements(kInet, "services4").size(), kServices);
  EXPECT_EQ(inspect_.elements(kInet, "backends4").size(), kServices * kSlots);

  // A health flip: one element out, one in.
  const auto start = std::chrono::steady_clock::now();
  commitOk(Transaction{{DeleteElements{kInet, "backends4", {{backendKey(0xd1000001, 0), {}}}},
                        AddElements{kInet, "backends4",
                                    {{backendKey(0xd1000001, 0), backendData(ipv4(192, 168, 9, 9), 8080)}}}}});
  const auto flip = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
  std::printf("nft_writer: element flip on the full table: %lld us\n", static_cast<long long>(flip.count()));
}

}  // namespace
}  // namespace ha::director::nft
