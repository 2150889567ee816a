#pragma once
// `directorctl list [--stats]` output, laid out like `ipvsadm -Ln [--stats]` (ipvsadm.c
// print_title/print_service_entry) so operators and their scripts read it without relearning.
// Pure: a ServiceList in, text out.
#include <cstdint>
#include <string>
#include <string_view>

#include "admin.pb.h"

namespace ha::director {

struct ListFormat {
  bool stats = false;
  std::string_view version;  // printed where ipvsadm prints the IPVS version
};

std::string formatServiceList(const directord::admin::ServiceList& list, const ListFormat& format);

// ipvsadm's print_largenum(): 9 columns, K/M/G/T past 100 million.
std::string formatLargeNumber(uint64_t n);

// "NAT" -> "Masq", "DR" -> "Route", "TUN" -> "Tunnel", "FNAT" -> "FullNat" (ipvsadm, DPVS).
std::string_view forwardName(std::string_view mode);

}  // namespace ha::director
