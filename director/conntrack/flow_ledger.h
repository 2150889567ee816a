#pragma once
// Per-real packets, bytes and connections from conntrack accounting, without a per-packet rule:
// a real's totals are the counters of its live flows (a dump) plus the final counters of its
// flows that ended (their destroy events). Pure; the netlink shell is flow_accounting.h.
//
// A flow destroyed while the dump ran can be in the dump and in the destroy events read right
// after it: startDump() opens that window and totals() leaves such a flow's live copy out, so it
// is counted once (with its final counters).
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "common/conntrack/flow.h"
#include "director/conntrack/conntrack_counts.h"

namespace ha::director {

struct RealTraffic {
  uint64_t conns = 0;
  uint64_t inPackets = 0;   // client -> real (conntrack's original direction)
  uint64_t outPackets = 0;  // real -> client (reply direction)
  uint64_t inBytes = 0;
  uint64_t outBytes = 0;
  RealTraffic& operator+=(const RealTraffic& o);
  auto operator<=>(const RealTraffic&) const = default;
};

using TrafficMap = std::map<ConnCountKey, RealTraffic>;

// One of our flows as a dump or a destroy event shows it.
struct AccountedFlow {
  ConntrackEntry entry;  // mark, protocol, the real (reply source), state
  conntrack::FlowKey key;
  std::optional<uint32_t> id;  // the kernel's entry id: with the key, this entry and no other
  // nullopt: created while accounting was off; it adds nothing.
  std::optional<conntrack::KernelEntry::Accounting> accounting;
};

AccountedFlow accountedFlow(const conntrack::KernelEntry& kernel);

// What one flow adds to its real: its packets and bytes, and one connection once a client packet
// went through this node (an entry a peer synced to us and that never carried traffic here is
// not a connection of ours, as IPVS does not count synced connections).
RealTraffic trafficOf(const AccountedFlow& flow);

class FlowLedger {
 public:
  // A flow ended: its final counters join its real's totals for good. Not ours: ignored.
  void finish(const AccountedFlow& flow);
  // Before each dump: flows finished from now on may also be in that dump.
  void startDump();
  // Finished flows plus the live ones of `dump` that did not finish since startDump().
  TrafficMap totals(const std::vector<AccountedFlow>& dump) const;

 private:
  using Identity = std::pair<conntrack::FlowKey, std::optional<uint32_t>>;
  TrafficMap finished_;
  std::set<Identity> finishedSinceDump_;
};

}  // namespace ha::director
