#pragma once
// ipvsadm's ActiveConn/InActConn, read from conntrack. Our flows carry ct mark kMarkTag | service
// id (common/flow_mark.h), and after DNAT the reply tuple's source is the real the flow went to,
// for NAT and FULLNAT alike. DR flows are forwarded from netdev ingress and never reach conntrack.
#include <cstdint>
#include <map>
#include <vector>

#include "common/conntrack/flow.h"
#include "common/ct_status.h"
#include "common/result.h"
#include "director/plan/forwarding_plan.h"

namespace ha::director {

struct ConnCountKey {
  uint32_t serviceId = 0;
  Endpoint real;
  auto operator<=>(const ConnCountKey&) const = default;
};

struct ConnCounts {
  uint64_t active = 0;    // TCP ESTABLISHED; UDP assured or seen both ways
  uint64_t inactive = 0;  // every other state (SYN_RECV, TIME_WAIT, one-way UDP, ...)
};

using ConnCountMap = std::map<ConnCountKey, ConnCounts>;

// One conntrack entry, reduced to what counting needs; the netlink shell fills it in.
struct ConntrackEntry {
  uint32_t mark = 0;
  uint8_t l4proto = 0;  // IPPROTO_TCP / IPPROTO_UDP
  IpAddress replySource;
  uint16_t replySourcePort = 0;  // host order
  uint8_t tcpState = 0;          // enum tcp_conntrack
  uint32_t status = 0;           // IPS_* bits
};

// IPVS's split of a connection: active once TCP is ESTABLISHED (a UDP flow once it is seen both
// ways or assured), inactive in every other state.
bool isActiveConnection(uint8_t l4proto, uint8_t tcpState, uint32_t status);

// Pure. Counts the entry if it is one of ours; returns false for anything else.
bool countEntry(const ConntrackEntry& entry, ConnCountMap& counts);

// Whose flows to delete: the service (its mark), the protocol and the real the flows went to.
struct FlowOwner {
  uint32_t serviceId = 0;
  uint8_t l4proto = 0;
  Endpoint real;
  auto operator<=>(const FlowOwner&) const = default;
};

// The node's port to conntrack; tests hand the node a fake.
class ConntrackPort {
 public:
  virtual ~ConntrackPort() = default;
  virtual Result<ConnCountMap> count() = 0;
  // Every flow of ours (ct mark tag), as the kernel holds it now: `directorctl -Lc`.
  virtual Result<std::vector<conntrack::FlowEntry>> flows() = 0;
  // Deletes the flows of each (service, real) pair (reply source = the real), so the clients of a
  // real that failed its checks learn at once: their next packet meets a live real's RST instead
  // of silence. One dump serves the whole batch. Returns how many entries were deleted.
  virtual Result<uint64_t> deleteFlows(const std::vector<FlowOwner>& owners) = 0;
};

// The conntrack table of the current network namespace, through the one ctnetlink adapter that
// dumps our flows (common/conntrack's NetlinkConntrack, opened for dump and apply only); dumps
// ask the kernel to filter on our mark so a busy table is not copied whole.
class NetfilterConntrack final : public ConntrackPort {
 public:
  Result<ConnCountMap> count() override;
  Result<std::vector<conntrack::FlowEntry>> flows() override;
  Result<uint64_t> deleteFlows(const std::vector<FlowOwner>& owners) override;
};

}  // namespace ha::director
