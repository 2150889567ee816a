#pragma once
// ActiveConn/InActConn of the connection-count services (lc wlc sed nq ovf), kept current from
// conntrack's events so the node can rebuild their tables as connections open and close. Pure:
// the node feeds it a dump and then the events, in the order the kernel sent them.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include "common/conntrack/flow.h"
#include "director/plan/forwarding_plan.h"

namespace ha::director {

class LiveConnections {
 public:
  // The services whose flows are counted; the flows of the others are forgotten.
  void follow(const std::set<uint32_t>& serviceIds);
  const std::set<uint32_t>& followed() const { return followed_; }
  // Replaces every count by a dump's: at start, on a reload, after the kernel dropped events.
  void reset(const std::vector<conntrack::FlowEntry>& flows);
  // One event (an upsert is a new flow or a state change; a remove, a destroyed one). Returns the
  // service whose counts moved, if any.
  std::optional<uint32_t> apply(const conntrack::FlowUpdate& update);

  // The service's counts per real (reals without flows absent).
  std::map<Endpoint, RealLoad> loadOf(uint32_t serviceId) const;
  // New flows of the service since the last call (the arrivals the next table must place).
  uint32_t takeArrivals(uint32_t serviceId);
  size_t flowCount() const { return flows_.size(); }

 private:
  struct Tracked {
    uint32_t serviceId = 0;
    Endpoint real;
    bool active = false;
  };
  std::optional<uint32_t> track(const conntrack::FlowEntry& flow, bool arrival);
  void count(const Tracked& t, int delta);

  std::set<uint32_t> followed_;
  std::unordered_map<conntrack::FlowKey, Tracked, conntrack::FlowKeyHash> flows_;
  std::map<uint32_t, std::map<Endpoint, RealLoad>> loads_;
  std::map<uint32_t, uint32_t> arrivals_;
};

}  // namespace ha::director
