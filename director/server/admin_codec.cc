#include "director/server/admin_codec.h"

#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>

#include "director/ctl/lookup_request.h"

namespace ha::director {
namespace {

namespace pb = directord::admin;

void setCounters(pb::Counters* out, const TrafficCounters& in) {
  out->set_conns(in.conns);
  out->set_in_packets(in.inPackets);
  out->set_out_packets(in.outPackets);
  out->set_in_bytes(in.inBytes);
  out->set_out_bytes(in.outBytes);
}

void setRates(pb::Rates* out, const TrafficRates& in) {
  out->set_conns_per_second(in.connsPerSecond);
  out->set_in_packets_per_second(in.inPacketsPerSecond);
  out->set_out_packets_per_second(in.outPacketsPerSecond);
  out->set_in_bytes_per_second(in.inBytesPerSecond);
  out->set_out_bytes_per_second(in.outBytesPerSecond);
}

// keepalived spells the flag per scheduler ("sh-port", "mh-port"); only those two hash ports.
std::optional<std::string> portFlag(const ServicePlan& plan) {
  if (!plan.hashPort) return std::nullopt;
  return plan.scheduler + "-port";
}

// A group's expansion folded back into runs of consecutive addresses on one port.
std::vector<std::string> groupMembers(const ServicePlan& plan) {
  std::vector<std::string> out;
  const auto& a = plan.groupAddresses;
  for (size_t i = 0; i < a.size();) {
    size_t j = i;
    while (j + 1 < a.size() && a[j + 1].port == a[i].port &&
           a[j + 1].address == a[j].address.plus(1))
      ++j;
    std::string text = a[i].address.str() + (j > i ? "-" + a[j].address.str() : "");
    out.push_back((a[i].address.isV4() ? text : "[" + text + "]") + ":" +
                  std::to_string(a[i].port));
    i = j + 1;
  }
  for (uint32_t mark : plan.groupFwmarks) out.push_back("FWM " + std::to_string(mark));
  return out;
}

}  // namespace

std::string serviceText(const ServiceKey& key) { return key.str(); }

pb::ServiceList toServiceList(const DirectorSnapshot& snapshot) {
  return toServiceList(snapshot, std::chrono::system_clock::now());
}

pb::ServiceList toServiceList(const DirectorSnapshot& snapshot,
                              std::chrono::system_clock::time_point now) {
  pb::ServiceList out;
  out.set_hash_seed(snapshot.hashSeed);
  out.mutable_timeouts()->set_tcp(snapshot.timeouts.tcpSec);
  out.mutable_timeouts()->set_tcpfin(snapshot.timeouts.tcpFinSec);
  out.mutable_timeouts()->set_udp(snapshot.timeouts.udpSec);
  out.set_distinct_probes(snapshot.distinctProbes);
  out.set_probes_run(snapshot.probesRun);
  out.set_probes_in_flight(snapshot.probesInFlight);
  for (const ServiceSnapshot& s : snapshot.services) {
    const ServicePlan& plan = s.plan;
    pb::ServiceStatus* svc = out.add_services();
    svc->set_id(plan.id);
    svc->set_protocol(std::string(protocolName(plan.key.protocol)));
    svc->set_vip(plan.key.vip.str());
    svc->set_port(plan.key.port);
    svc->set_fwmark(plan.key.fwmark);
    svc->set_group(plan.key.group);
    for (const auto& member : groupMembers(plan)) svc->add_members(member);
    svc->set_scheduler(plan.scheduler);
    svc->set_mode(std::string(forwardModeName(plan.mode)));
    svc->set_persistence_timeout(plan.persistenceTimeoutSec);
    svc->set_laddr_group(s.laddrGroup);
    setCounters(svc->mutable_counters(), s.counters);
    setRates(svc->mutable_rates(), s.rates);
    // A plan built without a file (tests, defaults) has no location worth printing as ":0".
    if (!plan.where.file.empty()) svc->set_where(plan.where.str());
    if (auto flag = portFlag(plan)) svc->add_scheduler_flags(*flag);
    svc->set_quorum_lost(!plan.quorumUp);
    if (plan.sorryServer) svc->set_sorry_server(plan.sorryServer->str());
    svc->set_sorry_active(plan.sorryActive);
    for (const auto& o : s.overrides) svc->add_overrides(o);
    svc->set_runtime_added(s.runtimeAdded);
    for (const RealSnapshot& r : s.reals) {
      pb::RealStatus* real = svc->add_reals();
      real->set_address(r.real.endpoint.address.str());
      real->set_port(r.real.endpoint.port);
      real->set_weight(r.real.weight);
      real->set_in_rotation(r.real.inRotation);
      real->set_active_conns(r.activeConns);
      real->set_inactive_conns(r.inactiveConns);
      setCounters(real->mutable_counters(), r.counters);
      setRates(real->mutable_rates(), r.rates);
      setRealHealth(r, now, real);
      for (const auto& o : r.overrides) real->add_overrides(o);
      real->set_runtime_added(r.runtimeAdded);
    }
  }
  return out;
}

pb::LookupReply toLookupReply(const FlowAnswer& answer) {
  pb::LookupReply out;
  out.set_matched(answer.service.has_value());
  if (answer.service) out.set_service(serviceText(*answer.service));
  out.set_deterministic(answer.deterministic);
  if (answer.real) out.set_real(answer.real->str());
  out.set_slot(answer.slot);
  for (const Endpoint& c : answer.candidates) out.add_candidates(c.str());
  out.set_explanation(answer.explanation);
  out.set_scheduler(answer.scheduler);
  return out;
}

pb::LookupRequest toLookupRequest(const FlowQuery& query) {
  pb::LookupRequest out;
  std::string protocol(protocolName(query.protocol));
  std::transform(protocol.begin(), protocol.end(), protocol.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  out.set_protocol(protocol);
  out.set_source(query.source.str());
  out.set_source_port(query.sourcePort);
  out.set_vip(query.vip.str());
  out.set_vip_port(query.vipPort);
  out.set_fwmark(query.fwmark);
  return out;
}

Result<FlowQuery> toFlowQuery(const pb::LookupRequest& request) {
  auto target = checkLookupRequest(request);
  if (!target) return Error{target.error()};
  static_assert(static_cast<uint8_t>(Protocol::kTcp) == IPPROTO_TCP &&
                static_cast<uint8_t>(Protocol::kUdp) == IPPROTO_UDP);
  FlowQuery q;
  q.protocol = static_cast<Protocol>(target->l4proto);
  q.source = target->source;
  q.sourcePort = target->sourcePort;
  q.vip = target->vip;
  q.vipPort = target->vipPort;
  q.fwmark = request.fwmark();
  return q;
}

}  // namespace ha::director
