#include "director/conntrack/conntrack_counts.h"

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>
#include <netinet/in.h>

#include <memory>
#include <set>
#include <vector>

#include "common/conntrack/netlink_conntrack.h"
#include "common/flow_mark.h"

namespace ha::director {

static_assert(kTcpConntrackEstablished == TCP_CONNTRACK_ESTABLISHED);
static_assert(kIpsSeenReply == IPS_SEEN_REPLY);
static_assert(kIpsAssured == IPS_ASSURED);

bool isActiveConnection(uint8_t l4proto, uint8_t tcpState, uint32_t status) {
  if (l4proto == IPPROTO_TCP) return tcpState == kTcpConntrackEstablished;
  return (status & (kIpsAssured | kIpsSeenReply)) != 0;
}

bool countEntry(const ConntrackEntry& entry, ConnCountMap& counts) {
  if ((entry.mark & kMarkTagMask) != kMarkTag) return false;
  // Services are TCP or UDP only; a foreign flow reusing our tag is not ours.
  if (entry.l4proto != IPPROTO_TCP && entry.l4proto != IPPROTO_UDP) return false;
  bool active = isActiveConnection(entry.l4proto, entry.tcpState, entry.status);
  ConnCounts& c = counts[ConnCountKey{serviceIdOfMark(entry.mark),
                                      Endpoint{entry.replySource, entry.replySourcePort}}];
  ++(active ? c.active : c.inactive);
  return true;
}

namespace {

// After DNAT the reply tuple's source is the real the flow went to, for NAT and FULLNAT alike.
Endpoint realOf(const conntrack::FlowEntry& flow) {
  return Endpoint{flow.reply.src, flow.reply.srcPort};
}

ConntrackEntry countable(const conntrack::FlowEntry& flow) {
  ConntrackEntry e;
  e.mark = flow.mark;
  e.l4proto = flow.l4proto;
  e.replySource = flow.reply.src;
  e.replySourcePort = flow.reply.srcPort;
  e.tcpState = flow.tcpState;
  e.status = flow.status;
  return e;
}

// The shared adapter without its event socket: one dump of our flows (the kernel filters on the
// mark tag, so a busy table is not copied whole), and deletes batched in one netlink batch.
Result<std::unique_ptr<conntrack::NetlinkConntrack>> openConntrack() {
  return conntrack::NetlinkConntrack::open(conntrack::NetlinkConntrack::Mode::kDumpAndApply);
}

}  // namespace

Result<ConnCountMap> NetfilterConntrack::count() {
  auto table = openConntrack();
  if (!table) return Error{table.error()};
  auto flows = table.value()->dump();
  if (!flows) return Error{flows.error()};
  ConnCountMap counts;
  for (const conntrack::FlowEntry& flow : flows.value()) countEntry(countable(flow), counts);
  return counts;
}

Result<std::vector<conntrack::FlowEntry>> NetfilterConntrack::flows() {
  auto table = openConntrack();
  if (!table) return Error{table.error()};
  return table.value()->dump();
}

Result<uint64_t> NetfilterConntrack::deleteFlows(const std::vector<FlowOwner>& owners) {
  if (owners.empty()) return uint64_t{0};
  auto table = openConntrack();
  if (!table) return Error{table.error()};
  // One dump for the whole batch: a mass failure costs one walk of the table.
  auto entries = table.value()->dumpWithIds();
  if (!entries) return Error{entries.error()};
  const std::set<FlowOwner> doomed(owners.begin(), owners.end());
  std::vector<conntrack::KernelEntry> removals;
  for (const conntrack::KernelEntry& entry : entries.value()) {
    const conntrack::FlowEntry& flow = entry.flow;
    if (doomed.count(FlowOwner{serviceIdOfMark(flow.mark), flow.l4proto, realOf(flow)}) != 0) {
      removals.push_back(entry);
    }
  }
  if (removals.empty()) return uint64_t{0};
  // Deleted by tuple and kernel id: a client that reopened the same tuple since the dump (to a
  // live real) keeps its new entry. A flow that ended meanwhile counts as missing, as wanted.
  const conntrack::ApplyReport report = table.value()->removeExactly(removals);
  if (report.failed != 0) return Error{"conntrack: delete failed: " + report.firstError};
  return report.removed;
}

}  // namespace ha::director
