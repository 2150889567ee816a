#include "director/nft/drift_monitor.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <vector>

#include "director/nft/diff.h"
#include "director/nft/ir_text.h"
#include "director/nft/render.h"
#include "tests/fakes/fake_nft_writer.h"
#include "tests/unit/director/nft/plan_fixtures.h"

namespace ha::director::nft {
namespace {

constexpr uint32_t kOurPort = 4242;
constexpr uint32_t kNftPort = 777;

// A notification as the kernel sends it: the object message libnftnl builds for a request has
// the same layout (nfgenmsg + attributes); only nlmsg_pid differs, set here.
class Message {
 public:
  nlmsghdr* table(uint16_t type, uint16_t family, const char* name, uint32_t portId) {
    nftnl_table* t = nftnl_table_alloc();
    nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
    auto* nlh = nftnl_table_nlmsg_build_hdr(buf_.data(), type, family, 0, 1);
    nftnl_table_nlmsg_build_payload(nlh, t);
    nftnl_table_free(t);
    nlh->nlmsg_pid = portId;
    return nlh;
  }
  nlmsghdr* chain(uint16_t type, const char* table, const char* name, uint32_t portId) {
    nftnl_chain* c = nftnl_chain_alloc();
    nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
    nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
    auto* nlh = nftnl_chain_nlmsg_build_hdr(buf_.data(), type, NFPROTO_INET, 0, 1);
    nftnl_chain_nlmsg_build_payload(nlh, c);
    nftnl_chain_free(c);
    nlh->nlmsg_pid = portId;
    return nlh;
  }
  nlmsghdr* elements(uint16_t type, const char* table, const char* set, uint32_t portId) {
    nftnl_set* s = nftnl_set_alloc();
    nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
    nftnl_set_set_str(s, NFTNL_SET_NAME, set);
    auto* nlh = nftnl_nlmsg_build_hdr(buf_.data(), type, NFPROTO_INET, 0, 1);
    nftnl_set_elems_nlmsg_build_payload(nlh, s);
    nftnl_set_free(s);
    nlh->nlmsg_pid = portId;
    return nlh;
  }
  nlmsghdr* generation(uint32_t pid, const char* process) {
    auto* nlh = mnl_nlmsg_put_header(buf_.data());
    nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWGEN;
    auto* gen = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
    gen->nfgen_family = AF_UNSPEC;
    gen->version = NFNETLINK_V0;
    mnl_attr_put_u32(nlh, NFTA_GEN_ID, htonl(9));
    mnl_attr_put_u32(nlh, NFTA_GEN_PROC_PID, htonl(pid));
    mnl_attr_put_strz(nlh, NFTA_GEN_PROC_NAME, process);
    return nlh;
  }

 private:
  std::vector<char> buf_ = std::vector<char>(MNL_SOCKET_BUFFER_SIZE);
};

DriftDetector detector() { return DriftDetector({inetTable(), netdevTable()}, kOurPort); }

std::optional<Drift> feed(DriftDetector& d, nlmsghdr* nlh) {
  auto event = parseNftEvent(nlh);
  EXPECT_TRUE(event.has_value());
  return event ? d.feed(*event) : std::nullopt;
}

// A notification names its message, family, table, object and the socket that made the change.
TEST(ParseNftEvent, ReadsObjectAndGenerationMessages) {
  Message m;
  auto table = parseNftEvent(m.table(NFT_MSG_DELTABLE, NFPROTO_INET, "directord", kNftPort));
  ASSERT_TRUE(table.has_value());
  const auto& n = std::get<NftNotification>(*table);
  EXPECT_EQ(n.message, NFT_MSG_DELTABLE);
  EXPECT_EQ(n.family, NFPROTO_INET);
  EXPECT_EQ(n.table, "directord");
  EXPECT_EQ(n.portId, kNftPort);
  auto chain = parseNftEvent(m.chain(NFT_MSG_NEWCHAIN, "directord", "prerouting", kNftPort));
  ASSERT_TRUE(chain.has_value());
  EXPECT_EQ(std::get<NftNotification>(*chain).object, "prerouting");
  auto gen = parseNftEvent(m.generation(1234, "nft"));
  ASSERT_TRUE(gen.has_value());
  EXPECT_EQ(std::get<NftGeneration>(*gen).pid, 1234u);
  EXPECT_EQ(std::get<NftGeneration>(*gen).process, "nft");
}

// A message of another subsystem, or cut short, is not an event (and does not crash the reader).
TEST(ParseNftEvent, IgnoresOtherAndTruncatedMessages) {
  Message m;
  nlmsghdr* nlh = m.table(NFT_MSG_NEWTABLE, NFPROTO_INET, "directord", kNftPort);
  nlh->nlmsg_type = static_cast<uint16_t>((NFNL_SUBSYS_CTNETLINK << 8) | 0);
  EXPECT_FALSE(parseNftEvent(nlh).has_value());
  nlh = m.table(NFT_MSG_NEWTABLE, NFPROTO_INET, "directord", kNftPort);
  nlh->nlmsg_len = NLMSG_LENGTH(2);
  EXPECT_FALSE(parseNftEvent(nlh).has_value());
}

// `nft delete table inet directord`: one drift per transaction, named by its first deletion, with
// the process that made it.
TEST(DriftDetector, ReportsAForeignTransactionOnOurTable) {
  Message m;
  auto d = detector();
  EXPECT_FALSE(feed(d, m.chain(NFT_MSG_DELCHAIN, "directord", "prerouting", kNftPort)));
  EXPECT_FALSE(feed(d, m.table(NFT_MSG_DELTABLE, NFPROTO_INET, "directord", kNftPort)));
  auto drift = feed(d, m.generation(31337, "nft"));
  ASSERT_TRUE(drift.has_value());
  EXPECT_EQ(drift->what, "delete table inet directord (+1 more) by nft[31337]");
  EXPECT_EQ(drift->pid, 31337u);
  // The next transaction starts afresh.
  EXPECT_FALSE(feed(d, m.generation(31337, "nft")));
}

// Our own writer's changes, other tables, the same name in another family, and set elements the
// kernel itself adds or expires (the datapath's dynamic sets) are not drift.
TEST(DriftDetector, IgnoresWhatIsNotForeignChangeOfOurs) {
  Message m;
  auto d = detector();
  EXPECT_FALSE(feed(d, m.table(NFT_MSG_DELTABLE, NFPROTO_INET, "directord", kOurPort)));
  EXPECT_FALSE(feed(d, m.table(NFT_MSG_DELTABLE, NFPROTO_INET, "filter", kNftPort)));
  EXPECT_FALSE(feed(d, m.table(NFT_MSG_DELTABLE, NFPROTO_IPV4, "directord", kNftPort)));
  EXPECT_FALSE(feed(d, m.elements(NFT_MSG_DELSETELEM, "directord", "persist4", 0)));
  EXPECT_FALSE(feed(d, m.generation(1, "directord")));
}

// A foreign element edit is drift, and so is the netdev table.
TEST(DriftDetector, ReportsForeignElementsAndTheNetdevTable) {
  Message m;
  auto d = detector();
  EXPECT_FALSE(feed(d, m.elements(NFT_MSG_DELSETELEM, "directord", "backends4", kNftPort)));
  auto drift = feed(d, m.generation(7, "nft"));
  ASSERT_TRUE(drift.has_value());
  EXPECT_EQ(drift->what, "delete element from set backends4 in inet directord by nft[7]");
  EXPECT_FALSE(feed(d, m.table(NFT_MSG_DELTABLE, NFPROTO_NETDEV, "directord", kNftPort)));
  drift = feed(d, m.generation(8, "nft"));
  ASSERT_TRUE(drift.has_value());
  EXPECT_EQ(drift->what, "delete table netdev directord by nft[8]");
}

// The rendered tables carry nftables_owner; creating them says so, and replaceAll's first
// "ensure it exists" leaves an existing table's flags alone (so an orphan or a flagless
// predecessor can be deleted in the same batch).
TEST(TableOwner, RenderAndReplaceAllCarryTheOwner) {
  ForwardingPlan plan = testing::samplePlan();
  plan.tableOwnership = TableOwnership::kPersistent;
  NftState state = render(plan);
  for (const auto& [id, table] : state.tables) EXPECT_EQ(table.owner, TableOwner::kPersistent);
  Transaction tx = replaceAll(state, {inetTable(), netdevTable()});
  ASSERT_GE(tx.ops.size(), 5u);
  EXPECT_FALSE(std::get<AddTable>(tx.ops[0]).owner.has_value());
  EXPECT_TRUE(std::holds_alternative<DeleteTable>(tx.ops[1]));
  std::string text = toText(tx);
  EXPECT_NE(text.find("add table inet directord { flags owner,persist }"), std::string::npos) << text;
  EXPECT_NE(toText(state).find("  flags owner,persist\n"), std::string::npos);
}

// A changed nftables_owner cannot be patched in place: the diff re-creates the table with the new
// flags, and the fake kernel (like the real one) refuses to change flags in place.
TEST(TableOwner, ChangingTheOwnerRebuildsTheTable) {
  ForwardingPlan before = testing::samplePlan();
  before.tableOwnership = TableOwnership::kPersistent;
  ForwardingPlan after = before;
  after.tableOwnership = TableOwnership::kNone;
  FakeNftWriter fake;
  ASSERT_TRUE(fake.commit(replaceAll(render(before), {inetTable(), netdevTable()})).ok());
  Transaction tx = diff(render(before), render(after));
  ASSERT_TRUE(std::holds_alternative<DeleteTable>(tx.ops.front())) << toText(tx);
  auto st = fake.commit(tx);
  ASSERT_TRUE(st.ok()) << st.error();
  EXPECT_EQ(fake.state(), render(after));
  Transaction inPlace{{AddTable{inetTable(), TableOwner::kPersistent}}};
  EXPECT_FALSE(fake.commit(inPlace).ok());
}

}  // namespace
}  // namespace ha::director::nft
