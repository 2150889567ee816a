// ctnetlink statistics replies -> ConntrackStats: the per-CPU messages are
// summed, the global one gives entries and max; what is not a well-formed stats
// message is skipped, never trusted.
#include "director/conntrack/conntrack_stats.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include <utility>
#include <vector>

namespace ha::director {
namespace {

// One ctnetlink message of `type` carrying big-endian u32 attributes, as the
// kernel sends them.
std::vector<char> message(uint16_t type, const std::vector<std::pair<uint16_t, uint32_t>>& attrs,
                          uint16_t subsystem = NFNL_SUBSYS_CTNETLINK) {
  std::vector<char> buffer(4096);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer.data());
  nlh->nlmsg_type = static_cast<uint16_t>((subsystem << 8) | type);
  auto* nfh = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  nfh->nfgen_family = AF_UNSPEC;
  nfh->version = NFNETLINK_V0;
  for (const auto& [attr, value] : attrs) mnl_attr_put_u32(nlh, attr, htonl(value));
  buffer.resize(nlh->nlmsg_len);
  return buffer;
}

const nlmsghdr* header(const std::vector<char>& m) {
  return reinterpret_cast<const nlmsghdr*>(m.data());
}

// Two CPUs' counters add up, field by field, as `conntrack -S` would print them
// summed.
TEST(ConntrackStats, SumsPerCpuMessages) {
  ConntrackStats s;
  ASSERT_TRUE(addCpuStats(header(message(IPCTNL_MSG_CT_GET_STATS_CPU, {{CTA_STATS_DROP, 600},
                                                                       {CTA_STATS_EARLY_DROP, 3},
                                                                       {CTA_STATS_INVALID, 7},
                                                                       {CTA_STATS_INSERT_FAILED, 1},
                                                                       {CTA_STATS_FOUND, 10}})),
                          s));
  ASSERT_TRUE(
      addCpuStats(header(message(IPCTNL_MSG_CT_GET_STATS_CPU, {{CTA_STATS_DROP, 94},
                                                               {CTA_STATS_CLASH_RESOLVE, 2},
                                                               {CTA_STATS_CHAIN_TOOLONG, 5},
                                                               {CTA_STATS_SEARCH_RESTART, 4},
                                                               {CTA_STATS_ERROR, 9}})),
                  s));
  EXPECT_EQ(s.drop, 694u);
  EXPECT_EQ(s.earlyDrop, 3u);
  EXPECT_EQ(s.invalid, 7u);
  EXPECT_EQ(s.insertFailed, 1u);
  EXPECT_EQ(s.found, 10u);
  EXPECT_EQ(s.clashResolve, 2u);
  EXPECT_EQ(s.chainTooLong, 5u);
  EXPECT_EQ(s.searchRestart, 4u);
  EXPECT_EQ(s.error, 9u);
  EXPECT_EQ(namedCounters(s).at(4), (std::pair<std::string_view, uint64_t>{"drop", 694}));
}

// The global message: entries and max; an older kernel without the max leaves
// it for /proc.
TEST(ConntrackStats, ReadsGlobalEntriesAndMax) {
  ConntrackStats s;
  ASSERT_TRUE(readGlobalStats(
      header(message(IPCTNL_MSG_CT_GET_STATS,
                     {{CTA_STATS_GLOBAL_ENTRIES, 262000}, {CTA_STATS_GLOBAL_MAX_ENTRIES, 262144}})),
      s));
  EXPECT_EQ(s.entries, 262000u);
  EXPECT_EQ(s.max, 262144u);
  ConntrackStats old;
  ASSERT_TRUE(readGlobalStats(
      header(message(IPCTNL_MSG_CT_GET_STATS, {{CTA_STATS_GLOBAL_ENTRIES, 5}})), old));
  EXPECT_EQ(old.entries, 5u);
  EXPECT_EQ(old.max, 0u);
}

// Another message type or subsystem, a message without the entries, or a
// truncated header: refused and nothing counted. An attribute of the wrong size
// is skipped, the rest counted.
TEST(ConntrackStats, SkipsWhatIsNotAStatsMessage) {
  ConntrackStats s;
  EXPECT_FALSE(addCpuStats(header(message(IPCTNL_MSG_CT_GET_STATS, {{CTA_STATS_DROP, 1}})), s));
  EXPECT_FALSE(addCpuStats(header(message(IPCTNL_MSG_CT_GET_STATS_CPU, {{CTA_STATS_DROP, 1}},
                                          NFNL_SUBSYS_CTNETLINK_EXP)),
                           s));
  EXPECT_FALSE(readGlobalStats(
      header(message(IPCTNL_MSG_CT_GET_STATS, {{CTA_STATS_GLOBAL_MAX_ENTRIES, 9}})), s));
  auto shortMessage = message(IPCTNL_MSG_CT_GET_STATS_CPU, {});
  reinterpret_cast<nlmsghdr*>(shortMessage.data())->nlmsg_len = NLMSG_HDRLEN;
  EXPECT_FALSE(addCpuStats(header(shortMessage), s));
  EXPECT_EQ(s.drop, 0u);
  EXPECT_EQ(s.max, 0u);

  std::vector<char> buffer(4096);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer.data());
  nlh->nlmsg_type =
      static_cast<uint16_t>((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET_STATS_CPU);
  mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg));
  mnl_attr_put_u16(nlh, CTA_STATS_DROP, 7);  // a u16 where a u32 belongs
  mnl_attr_put_u32(nlh, CTA_STATS_EARLY_DROP, htonl(2));
  ASSERT_TRUE(addCpuStats(nlh, s));
  EXPECT_EQ(s.drop, 0u);
  EXPECT_EQ(s.earlyDrop, 2u);
}

}  // namespace
}  // namespace ha::director
