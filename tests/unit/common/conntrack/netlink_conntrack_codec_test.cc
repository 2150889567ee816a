#include "common/conntrack/netlink_conntrack_codec.h"

#include <arpa/inet.h>
#include <endian.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include <array>
#include <optional>

namespace ha::conntrack {
namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

FlowEntry fullnatFlow() {
  FlowEntry e;
  e.l4proto = kProtoTcp;
  e.original = FlowTuple{ip("203.0.113.10"), ip("192.0.2.100"), 40000, 80};
  e.reply = FlowTuple{ip("198.51.100.201"), ip("198.51.100.2"), 80, 61000};
  e.status = kSyncedStatusBits;
  e.tcpState = 3;  // ESTABLISHED
  e.timeoutSeconds = 300;
  e.mark = kMarkTag | 7;
  return e;
}

// The top-level CTA_ID of a ctnetlink message, in host order; nullopt if it has none.
std::optional<uint32_t> topLevelId(const nlmsghdr* nlh) {
  std::optional<uint32_t> id;
  mnl_attr_parse(
      nlh, sizeof(nfgenmsg),
      [](const nlattr* attr, void* data) {
        if (mnl_attr_get_type(attr) == CTA_ID) {
          *static_cast<std::optional<uint32_t>*>(data) = ntohl(mnl_attr_get_u32(attr));
        }
        return MNL_CB_OK;
      },
      &id);
  return id;
}

struct Message {
  alignas(nlmsghdr) std::array<char, ctnl::kMaxMessageBytes> bytes{};
  nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(bytes.data()); }
};

nlmsghdr* startMessage(Message& m) { return mnl_nlmsg_put_header(m.bytes.data()); }

// A delete with the entry's id asks for that kernel entry only; without one, for the tuple.
TEST(NetlinkConntrackCodec, RemoveCarriesTheKernelIdWhenGiven) {
  Message withId;
  ASSERT_TRUE(ctnl::buildRemove(startMessage(withId), fullnatFlow(), 1, 0xdeadbeef));
  EXPECT_EQ(topLevelId(withId.header()), 0xdeadbeefu);
  EXPECT_EQ(withId.header()->nlmsg_type, (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE);

  Message byTuple;
  ASSERT_TRUE(ctnl::buildRemove(startMessage(byTuple), fullnatFlow(), 1));
  EXPECT_EQ(topLevelId(byTuple.header()), std::nullopt);

  // The id changes only the CTA_ID attribute: the tuple asked for is the same.
  EXPECT_EQ(withId.header()->nlmsg_len, byTuple.header()->nlmsg_len + MNL_ALIGN(8));
}

// Lookups never name an id: "is this flow here" is a question about the tuple.
TEST(NetlinkConntrackCodec, GetHasNoId) {
  Message get;
  ASSERT_TRUE(ctnl::buildGet(startMessage(get), fullnatFlow(), 1));
  EXPECT_EQ(topLevelId(get.header()), std::nullopt);
}

// A dump reply's CTA_ID comes back with the entry; the entry itself is the same as parseEntry's.
TEST(NetlinkConntrackCodec, ParsesTheKernelIdOfAnEntry) {
  Message m;
  nlmsghdr* nlh = startMessage(m);
  ASSERT_TRUE(ctnl::buildUpsert(nlh, fullnatFlow(), ctnl::UpsertKind::kCreate, 1));
  mnl_attr_put_u32(nlh, CTA_ID, htonl(0x01020304));

  const auto parsed = ctnl::parseKernelEntry(nlh);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->id, 0x01020304u);
  const auto plain = ctnl::parseEntry(nlh);
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(parsed->flow, *plain);
  EXPECT_EQ(parsed->flow.original, fullnatFlow().original);
  EXPECT_EQ(parsed->flow.mark, fullnatFlow().mark);

  // What the director sends back to delete it names the same id.
  Message remove;
  ASSERT_TRUE(ctnl::buildRemove(startMessage(remove), parsed->flow, 2, parsed->id));
  EXPECT_EQ(topLevelId(remove.header()), 0x01020304u);
}

TEST(NetlinkConntrackCodec, NoIdWhenTheMessageHasNone) {
  Message m;
  nlmsghdr* nlh = startMessage(m);
  ASSERT_TRUE(ctnl::buildUpsert(nlh, fullnatFlow(), ctnl::UpsertKind::kCreate, 1));
  const auto parsed = ctnl::parseKernelEntry(nlh);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->id, std::nullopt);
  EXPECT_EQ(parsed->accounting, std::nullopt) << "no CTA_COUNTERS_*: created with accounting off";
}

// CTA_COUNTERS_ORIG/REPLY (a nest of big-endian u64 packets and bytes), as a dump reply or a
// destroy event carries them when the namespace's accounting is on.
TEST(NetlinkConntrackCodec, ParsesTheAccountingCountersOfAnEntry) {
  Message m;
  nlmsghdr* nlh = startMessage(m);
  ASSERT_TRUE(ctnl::buildUpsert(nlh, fullnatFlow(), ctnl::UpsertKind::kCreate, 1));
  auto counters = [&](uint16_t type, uint64_t packets, uint64_t bytes) {
    nlattr* nest = mnl_attr_nest_start(nlh, type);
    mnl_attr_put_u64(nlh, CTA_COUNTERS_PACKETS, htobe64(packets));
    mnl_attr_put_u64(nlh, CTA_COUNTERS_BYTES, htobe64(bytes));
    mnl_attr_nest_end(nlh, nest);
  };
  counters(CTA_COUNTERS_ORIG, 12, 5000000000ULL);  // past 32 bits
  counters(CTA_COUNTERS_REPLY, 10, 4321);
  const auto parsed = ctnl::parseKernelEntry(nlh);
  ASSERT_TRUE(parsed.has_value());
  ASSERT_TRUE(parsed->accounting.has_value());
  EXPECT_EQ(parsed->accounting->original, (KernelEntry::Direction{12, 5000000000ULL}));
  EXPECT_EQ(parsed->accounting->reply, (KernelEntry::Direction{10, 4321}));
}

}  // namespace
}  // namespace ha::conntrack
