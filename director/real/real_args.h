#pragma once
// directord-real's command line, parsed into values (no I/O): the shell in
// director/main/directord_real.cc runs them. A usage error names the word it could not take.
#include <string>
#include <variant>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"

namespace ha::real {

// bpf: the VIP-checked decapsulator at tcx ingress of the device (the default).
// ipip: the kernel's tunl0/ip6tnl0 (the ipip/ip6_tunnel modules), which decapsulate any
// IP-in-IP packet addressed to the host, whoever sent it and wherever it goes.
enum class DecapMode { kBpf, kIpip };

struct TunUp {
  std::vector<IpAddress> vips;       // at least one
  std::string device;                // where the director's packets arrive
  std::vector<IpAddress> directors;  // empty: any outer source
  DecapMode decap = DecapMode::kBpf;
  auto operator<=>(const TunUp&) const = default;
};
struct TunDown {
  auto operator<=>(const TunDown&) const = default;
};
struct ToaAttach {
  std::string cgroup;  // empty (an unset TOA_CGROUP): nothing to attach
  auto operator<=>(const ToaAttach&) const = default;
};
struct ToaDetach {
  std::string cgroup;
  auto operator<=>(const ToaDetach&) const = default;
};
struct ShowStatus {
  auto operator<=>(const ShowStatus&) const = default;
};
struct ShowHelp {
  auto operator<=>(const ShowHelp&) const = default;
};

using Command = std::variant<TunUp, TunDown, ToaAttach, ToaDetach, ShowStatus, ShowHelp>;

// args without the program name. Address options take one address or a list separated by commas
// or blanks ("--vip '192.0.2.1 192.0.2.2'", as an EnvironmentFile variable expands); an empty
// list is allowed for --director (no allow-list) only.
Result<Command> parseArgs(const std::vector<std::string>& args);

// Splits "a, b c" into addresses; an error names the word that is not one.
Result<std::vector<IpAddress>> parseAddressList(const std::string& text);

std::string usage();

}  // namespace ha::real
