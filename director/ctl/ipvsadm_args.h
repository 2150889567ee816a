#pragma once
// directorctl's command line for reads, parsed without touching anything: ipvsadm's list forms
// (`-L|-l|--list [-n] [--stats|--rate] [--exact] [-t|-u VIP:PORT] [-c]`, clustered short flags
// as popt takes them: `-Lcn`, `-Ln --stats`), `--version`, `-h|--help`, and directorctl's own
// subcommands (list, health, lookup, vrrp, sync, conntrack, status). `--json` and
// `--admin-socket PATH` go anywhere. ipvsadm's edit verbs are recognised but not parsed here:
// they come back as kEdit with the arguments untouched, for the edit parser to take.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"

namespace ha::director {

inline constexpr std::string_view kDefaultAdminSocket = "/run/directord.sock";

// One virtual service, as ipvsadm's -t/-u VIP:PORT names it.
struct ServiceSelector {
  std::string protocol;  // "TCP" / "UDP", as ServiceStatus.protocol spells it
  IpAddress vip;
  uint16_t port = 0;
  bool operator==(const ServiceSelector&) const = default;
  std::string str() const;  // "TCP 192.0.2.100:80", "UDP [fd00::1]:53"
};

// Parses ipvsadm's service-address: "192.0.2.100:80", "[fd00::1]:53" (a port is required: every
// directord service has one). Names are not resolved: the parser stays pure.
Result<ServiceSelector> parseServiceAddress(std::string_view protocol, std::string_view text);

enum class CtlVerb : uint8_t {
  kHelp,
  kVersion,
  kList,         // -L, or `list`
  kConnections,  // -L -c
  kHealth,
  kLookup,
  kVrrp,
  kSync,
  kConntrack,
  kStatus,
  kEdit,  // -A -E -D -a -e -d -S -R -Z (and their long names): not a read
};

struct CtlCommand {
  CtlVerb verb = CtlVerb::kHelp;
  std::string socketPath = std::string(kDefaultAdminSocket);
  bool json = false;
  // -L forms; `list` takes --stats (and the others) too.
  bool numeric = false;  // -n; the `list` subcommand is always numeric
  bool stats = false;
  bool rate = false;
  bool exact = false;
  bool timeout = false;                    // -L --timeout: the lvs_timeouts line only
  std::optional<ServiceSelector> service;  // -t / -u
  // lookup: tcp|udp SRC SPORT VIP VPORT, checked by checkLookupRequest.
  std::vector<std::string> operands;
};

// An error names what is wrong ("-t needs VIP:PORT", "--stats conflicts with --rate"); the
// caller prints it with the usage line and exits 2.
Result<CtlCommand> parseCtlArgs(const std::vector<std::string_view>& args);

}  // namespace ha::director
