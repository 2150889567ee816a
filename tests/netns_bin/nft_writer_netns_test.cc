// NetlinkNftWriter against the real kernel. Run only by
// tests/netns/test_nft_writer.sh inside a throwaway network namespace (it
// refuses to run in the host's). Objects are read back with independent
// libnftnl dumps (nft_inspector.h), never through the writer under test.
#include <arpa/inet.h>  // before linux/netfilter.h: glibc's netinet/in.h must come first
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/netfilter.h>
#include <net/if.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/netns_bin/nft_writer_fixture.h"

namespace ha::director::nft::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

// The production rule shapes (inet nat dispatch, service chain, SNAT, sh hash,
// netdev DR fwd) are accepted by the kernel and read back object by object.
TEST_F(NftWriterNetnsTest, ProductionShapesRoundTrip) {
  Transaction tx;
  tx.ops.push_back(AddTable{kInet});
  tx.ops.push_back(AddSet{kInet, services4()});
  tx.ops.push_back(AddSet{kInet, backends4()});
  tx.ops.push_back(AddSet{kInet, SetDef{.name = "laddrs4",
                                        .map = true,
                                        .keyType = 19,
                                        .keyLen = 4,
                                        .dataType = 7,
                                        .dataLen = 4}});
  tx.ops.push_back(
      AddChain{kInet, baseChain("prerouting", BaseHook::Hook::kPrerouting, -100, "nat")});
  tx.ops.push_back(
      AddChain{kInet, baseChain("postrouting", BaseHook::Hook::kPostrouting, 100, "nat")});
  tx.ops.push_back(AddChain{kInet, regularChain("svc_1")});
  tx.ops.push_back(AddChain{kInet, regularChain("svc_2")});
  tx.ops.push_back(AddRule{kInet, "prerouting", dispatchRule()});
  tx.ops.push_back(
      AddRule{kInet, "svc_1",
              Rule{{ImmediateData{Reg::k0, u32Host(0xd1000001)}, CtSetMark{Reg::k0}, Counter{}},
                   "service 1"}});
  tx.ops.push_back(AddRule{kInet, "svc_1", scheduleRule(3)});
  // sh: jhash(ip saddr . th sport) with a fixed seed selects the slot.
  tx.ops.push_back(
      AddRule{kInet, "svc_2",
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
  tx.ops.push_back(AddRule{
      kInet, "postrouting",
      Rule{{MetaLoad{MetaKey::kNfproto, Reg::k0}, nfprotoIs(NFPROTO_IPV4),
            CtLoad{CtKey::kSrcIp, CtDir::kReply, Reg::k1},
            CtLoad{CtKey::kMark, std::nullopt, Reg::k0}, Lookup{"laddrs4", Reg::k0, Reg::k2},
            Nat{Nat::Type::kSnat, false, Reg::k2, Reg::k2, std::nullopt}},
           "fullnat snat"}});
  tx.ops.push_back(AddElements{
      kInet,
      "services4",
      {Element{serviceKey(kProtoTcp, ipv4(10, 0, 0, 1), 80),
               Verdict{Verdict::Code::kGoto, "svc_1"}},
       Element{serviceKey(kProtoTcp, ipv4(10, 0, 0, 2), 443),
               Verdict{Verdict::Code::kJump, "svc_2"}},
       Element{serviceKey(kProtoTcp, ipv4(10, 0, 0, 3), 22), Verdict{Verdict::Code::kDrop, ""}}}});
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
  tx.ops.push_back(
      AddChain{kNetdev, baseChain("ingress_lo", BaseHook::Hook::kIngress, -500, "filter", "lo")});
  tx.ops.push_back(AddChain{kNetdev, regularChain("dr_svc_1")});
  tx.ops.push_back(
      AddRule{kNetdev, "dr_svc_1",
              Rule{{ImmediateData{Reg::k0, u32Host(lo)}, ImmediateData{Reg::k1, ipv4(10, 0, 0, 9)},
                    Fwd{Reg::k0, Reg::k1, false}},
                   "dr real"}});
  // Protocol 253 (RFC 3692 experiments) never shows up here, so the fwd never
  // fires.
  tx.ops.push_back(
      AddRule{kNetdev, "ingress_lo",
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
  EXPECT_THAT(inspect_.chains(kInet),
              UnorderedElementsAre("prerouting", "postrouting", "svc_1", "svc_2"));
  auto rules = inspect_.rules(kInet);
  ASSERT_EQ(rules.size(), 6u);
  EXPECT_EQ(rules[0].chain, "prerouting");
  EXPECT_THAT(rules[0].exprs, ElementsAre("meta", "cmp", "meta", "payload", "payload", "lookup"));
  EXPECT_EQ(rules[0].comment, "services4 dispatch");
  auto svc1 = inspect_.rulesOf(kInet, "svc_1");
  ASSERT_EQ(svc1.size(), 2u);
  EXPECT_THAT(svc1[0].exprs, ElementsAre("immediate", "ct", "counter"));
  EXPECT_THAT(svc1[1].exprs, ElementsAre("meta", "cmp", "ct", "numgen", "lookup", "nat"));
  EXPECT_THAT(
      inspect_.rulesOf(kInet, "svc_2")[0].exprs,
      ElementsAre("meta", "cmp", "immediate", "ct", "payload", "payload", "hash", "lookup", "nat"));

  auto services = inspect_.elements(kInet, "services4");
  ASSERT_EQ(services.size(), 3u);
  for (const auto &e : services) {
    if (e.key == serviceKey(kProtoTcp, ipv4(10, 0, 0, 1), 80)) {
      EXPECT_EQ(e.verdict, static_cast<uint32_t>(NFT_GOTO));
      EXPECT_EQ(e.chain, "svc_1");
    } else if (e.key == serviceKey(kProtoTcp, ipv4(10, 0, 0, 3), 22)) {
      EXPECT_EQ(e.verdict, uint32_t{NF_DROP});
    }
  }
  auto be = inspect_.elements(kInet, "backends4");
  ASSERT_EQ(be.size(), 3u);
  for (const auto &e : be) EXPECT_EQ(e.data.size(), 8u);

  EXPECT_THAT(inspect_.chains(kNetdev), UnorderedElementsAre("ingress_lo", "dr_svc_1"));
  EXPECT_THAT(inspect_.rulesOf(kNetdev, "dr_svc_1")[0].exprs,
              ElementsAre("immediate", "immediate", "fwd"));
  // nft itself can list what we installed (its formatting is not checked).
  EXPECT_EQ(std::system("nft list table inet directord >/dev/null && nft list "
                        "table netdev directord >/dev/null"),
            0);
}

// Re-sending existing objects is not an error (NLM_F_CREATE without
// NLM_F_EXCL).
TEST_F(NftWriterNetnsTest, AddingExistingObjectsIsIdempotent) {
  Transaction tx;
  tx.ops.push_back(AddTable{kInet});
  tx.ops.push_back(AddSet{kInet, backends4()});
  tx.ops.push_back(
      AddChain{kInet, baseChain("prerouting", BaseHook::Hook::kPrerouting, -100, "nat")});
  tx.ops.push_back(
      AddElements{kInet, "backends4", {{backendKey(1, 0), backendData(ipv4(1, 2, 3, 4), 80)}}});
  commitOk(tx);
  commitOk(tx);
  EXPECT_THAT(inspect_.chains(kInet), ElementsAre("prerouting"));
  EXPECT_EQ(inspect_.elements(kInet, "backends4").size(), 1u);
}

// A batch whose last op fails lands nothing, and the error names that op's
// chain and expression.
TEST_F(NftWriterNetnsTest, FailingLastOpAbortsTheWholeBatch) {
  commitOk(Transaction{{AddTable{kInet}, AddChain{kInet, regularChain("keep")}}});

  Transaction tx;
  tx.ops.push_back(AddChain{kInet, regularChain("new_chain")});
  tx.ops.push_back(AddSet{kInet, backends4()});
  tx.ops.push_back(
      AddElements{kInet, "backends4", {{backendKey(1, 0), backendData(ipv4(1, 2, 3, 4), 80)}}});
  tx.ops.push_back(AddChain{kInet, regularChain("svc_3")});
  tx.ops.push_back(AddRule{
      kInet, "svc_3",
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

// A clashing element is named by its position and key inside a many-element
// message.
TEST_F(NftWriterNetnsTest, ElementErrorNamesTheElement) {
  commitOk(Transaction{
      {AddTable{kInet}, AddSet{kInet, backends4()},
       AddElements{
           kInet, "backends4", {{backendKey(7, 499), backendData(ipv4(1, 1, 1, 1), 80)}}}}});
  std::vector<Element> batch;
  for (uint32_t i = 0; i < 1000; ++i)
    batch.push_back({backendKey(7, i), backendData(ipv4(2, 2, 2, 2), 80)});
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
  commitOk(Transaction{
      {AddTable{kInet}, AddChain{kInet, regularChain("stale")}, AddSet{kInet, backends4()}}});
  commitOk(Transaction{{AddTable{kInet}, DeleteTable{kInet}, AddTable{kInet},
                        AddChain{kInet, regularChain("fresh")}}});
  EXPECT_THAT(inspect_.chains(kInet), ElementsAre("fresh"));
  EXPECT_THAT(inspect_.sets(kInet), IsEmpty());
}

// Deleting an element and adding it back with new data in one batch replaces
// its data.
TEST_F(NftWriterNetnsTest, ElementDeleteThenAddInOneBatch) {
  const Bytes key = backendKey(0xd1000001, 0);
  commitOk(
      Transaction{{AddTable{kInet}, AddSet{kInet, backends4()},
                   AddElements{kInet, "backends4", {{key, backendData(ipv4(10, 0, 0, 1), 80)}}}}});
  commitOk(
      Transaction{{DeleteElements{kInet, "backends4", {{key, {}}}},
                   AddElements{kInet, "backends4", {{key, backendData(ipv4(10, 0, 0, 2), 81)}}}}});
  auto elems = inspect_.elements(kInet, "backends4");
  ASSERT_EQ(elems.size(), 1u);
  EXPECT_EQ(elems[0].data, backendData(ipv4(10, 0, 0, 2), 81));
}

// FlushChain and DeleteChain/DeleteSet remove what they name.
TEST_F(NftWriterNetnsTest, FlushAndDelete) {
  commitOk(
      Transaction{{AddTable{kInet}, AddSet{kInet, backends4()}, AddChain{kInet, regularChain("a")},
                   AddChain{kInet, regularChain("b")}, AddRule{kInet, "a", Rule{{Counter{}}, ""}},
                   AddRule{kInet, "a", Rule{{Counter{}}, ""}}}});
  commitOk(Transaction{
      {FlushChain{kInet, "a"}, DeleteChain{kInet, "b"}, DeleteSet{kInet, "backends4"}}});
  EXPECT_THAT(inspect_.chains(kInet), ElementsAre("a"));
  EXPECT_THAT(inspect_.rules(kInet), IsEmpty());
  EXPECT_THAT(inspect_.sets(kInet), IsEmpty());
}

// A chain's first counter counts packets sent through the output hook.
TEST_F(NftWriterNetnsTest, ChainCountersSeeOutputPackets) {
  commitOk(Transaction{{AddTable{kInet},
                        AddChain{kInet, baseChain("out", BaseHook::Hook::kOutput, 0, "filter")},
                        AddRule{kInet, "out",
                                Rule{{MetaLoad{MetaKey::kL4proto, Reg::k0},
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

// A dynamic set with per-element counters, filled by a dynset rule, reads back
// per element.
TEST_F(NftWriterNetnsTest, DynsetCountersPerElement) {
  SetDef stats{.name = "stats4", .dynamic = true, .timeout = true, .keyType = 7, .keyLen = 4};
  stats.size = 65535;
  stats.counterPerElement = true;
  commitOk(Transaction{
      {AddTable{kInet}, AddSet{kInet, stats},
       AddChain{kInet, baseChain("out", BaseHook::Hook::kOutput, 0, "filter")},
       AddRule{kInet, "out",
               Rule{{MetaLoad{MetaKey::kNfproto, Reg::k0}, nfprotoIs(NFPROTO_IPV4),
                     PayloadLoad{PayloadBase::kNetwork, 16, 4, Reg::k0},
                     Dynset{Dynset::Op::kUpdate, "stats4", Reg::k0, std::nullopt, 60000, true}},
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

}  // namespace
}  // namespace ha::director::nft::test
