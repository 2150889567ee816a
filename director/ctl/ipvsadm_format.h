#pragma once
// `directorctl -L [-n] [--stats] [--exact]` (and `list`) output, laid out like ipvsadm's
// (ipvsadm.c print_title/print_service_entry) so operators and their scripts read it without
// relearning.
// Without --stats each real line gains two columns after ipvsadm's: Health and LastCheck
// (health_format.h); a service whose quorum is lost says so, and an active sorry server is
// listed under the reals. Pure: a ServiceList in, text out.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "admin.pb.h"
#include "director/ctl/endpoint_names.h"

namespace ha::director {

struct ListFormat {
  bool stats = false;
  std::string_view version;  // printed where ipvsadm prints the IPVS version
  bool rate = false;         // --rate: the Rates fields (the estimator's per-second figures)
  bool exact = false;        // --exact: counters in full, not K/M/G/T-scaled
  bool banner = true;        // ipvsadm -L -t prints no banner, only the one service
  // Without -n ipvsadm prints host and service names; null prints addresses and ports.
  EndpointNames* names = nullptr;
};

std::string formatServiceList(const directord::admin::ServiceList& list, const ListFormat& format);
// ipvsadm -L --timeout: "Timeout (tcp tcpfin udp): 900 120 300\n".
std::string formatTimeouts(const directord::admin::ServiceList& list);

// ipvsadm's print_largenum(): 9 columns, K/M/G/T past 100 million; with --exact the whole
// number, still right-aligned in 9 columns, one blank wider than a number that does not fit.
std::string formatLargeNumber(uint64_t n, bool exact = false);

// "NAT" -> "Masq", "DR" -> "Route", "TUN" -> "Tunnel", "FNAT" -> "FullNat" (ipvsadm, DPVS).
std::string_view forwardName(std::string_view mode);

// In ipvsadm's order (ipvs_cmp_services: family, protocol, address, port; ipvs_cmp_dests:
// address, port), so `directorctl health` lists things where `list` does.
std::vector<const directord::admin::ServiceStatus*> sortedServices(
    const directord::admin::ServiceList& list);
std::vector<const directord::admin::RealStatus*> sortedReals(
    const directord::admin::ServiceStatus& service);

// "TCP  192.0.2.100:80 wrr (mh-port) persistent 300", as ipvsadm's service line (no newline).
std::string serviceLine(const directord::admin::ServiceStatus& service,
                        EndpointNames* names = nullptr);
// "198.51.100.11:80", "[fd00:1::11]:53".
std::string realEndpoint(const directord::admin::RealStatus& real);

}  // namespace ha::director
