// directorctl: asks a running directord, over its admin socket, what `ipvsadm -Ln` would show,
// how its health checks fare, which real a flow would reach, how VRRP and connection sync stand.
// The command line is parsed by director/ctl/ipvsadm_args.h; this file only dispatches.
// Exit: 0 ok, 1 directord unreachable, 2 usage, 3 no such service, 4 the kernel drifted.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "director/ctl/admin_client.h"
#include "director/ctl/connection_format.h"
#include "director/ctl/conntrack_format.h"
#include "director/ctl/edit_verbs.h"
#include "director/ctl/endpoint_names.h"
#include "director/ctl/forwarder_format.h"
#include "director/ctl/health_format.h"
#include "director/ctl/ipvsadm_args.h"
#include "director/ctl/ipvsadm_edit_args.h"
#include "director/ctl/ipvsadm_format.h"
#include "director/ctl/json_output.h"
#include "director/ctl/lookup_request.h"
#include "director/ctl/service_ref.h"
#include "director/ctl/sync_format.h"
#include "director/ctl/sync_reply.h"
#include "director/ctl/version.h"
#include "director/ctl/vrrp_format.h"

namespace {

namespace pb = directord::admin;
using ha::director::CtlCommand;
using ha::director::CtlVerb;

constexpr int kExitOk = 0;
constexpr int kExitUnreachable = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNoService = 3;
// The kernel does not hold what directord planned (a drift repair pending or failing).
constexpr int kExitDegraded = 4;

constexpr std::string_view kUsageLine =
    "Usage: directorctl [--admin-socket PATH] [--json] -L|-l [-n] [--stats|--rate|--timeout] "
    "[--exact]\n"
    "                   [-t|-u VIP:PORT] [-c]\n"
    "       directorctl [--admin-socket PATH] [--json] list|health|vrrp|sync|conntrack|status\n"
    "       directorctl [--admin-socket PATH] [--json] lookup tcp|udp SRC SPORT VIP VPORT [fwmark "
    "N]\n";

constexpr std::string_view kHelp =
    "\n"
    "ipvsadm's reads (the same flags and columns):\n"
    "  -L, -l, --list          the virtual-server table (each real line gains Health and\n"
    "                          LastCheck after ipvsadm's columns)\n"
    "  -n, --numeric           addresses and ports as numbers (without it, names are looked up)\n"
    "  --stats                 counters: Conns InPkts OutPkts InBytes OutBytes\n"
    "  --rate                  per-second rates: CPS InPPS OutPPS InBPS OutBPS\n"
    "  --exact                 whole numbers instead of K/M/G/T in --stats and --rate\n"
    "  --timeout               the global lvs_timeouts: Timeout (tcp tcpfin udp): 900 120 300\n"
    "  -t, --tcp-service VIP:PORT, -u, --udp-service VIP:PORT\n"
    "                          only this service (IPv6 as [VIP]:PORT)\n"
    "  -c, --connection        our flows, from conntrack, as `ipvsadm -Lcn` (at most 100,000)\n"
    "  --version, -h, --help\n"
    "\n"
    "directorctl's own reads:\n"
    "  list     as -Ln (always numeric); list --stats as -Ln --stats\n"
    "  health   per real and per checker: state, probes, failures by reason, latency\n"
    "           last/mean/max, last result; then the probe totals\n"
    "  lookup   which real a new flow from SRC:SPORT to VIP:VPORT reaches\n"
    "  vrrp     each VRRP instance: state, priority, master, transitions, packet counters\n"
    "  sync     connection sync: readiness, conntrack events, and per peer both streams\n"
    "           (sent, acked, queue, lag, bulks; received, applied, rejected by reason)\n"
    "  conntrack  this namespace's conntrack table: entries against the max, pressure (health\n"
    "           results held as inconclusive while it lasts), the kernel's drop counters\n"
    "  status   the forwarder's nf_tables tables: who may change them, drift seen and repaired\n"
    "\n"
    "  --json                every read prints its reply as one JSON object:\n"
    "                        "
    "{\"schema\":\"directord.admin.v1\",\"kind\":\"<message>\",\"data\":{...}}\n"
    "                        (fields as in proto/admin.proto; see docs/json.md)\n"
    "  --admin-socket PATH   directord's admin socket (default /run/directord.sock)\n"
    "\n"
    "Exit codes:\n"
    "  0  ok\n"
    "  1  directord unreachable (or it did not answer in time)\n"
    "  2  usage: an unknown or bad option or argument\n"
    "  3  no such service (-t/-u, -c -t/-u, lookup)\n"
    "  4  the kernel does not hold what directord planned (-L, list, status: a drift repair is\n"
    "     pending or failing; the table printed is the plan)\n";

int usageError(std::string_view why) {
  std::cerr << "directorctl: " << why << "\n"
            << kUsageLine << "Try `directorctl -h' or 'directorctl --help' for more information.\n";
  return kExitUsage;
}

using Client = ha::director::AdminClient;

int unreachable(const Client& client, const grpc::Status& status) {
  std::cerr << "directorctl: cannot reach directord at " << client.socketPath() << ": "
            << status.error_message() << "\n";
  return kExitUnreachable;
}

int noService(const std::string& what) {
  std::cerr << "directorctl: no virtual service " << what << "\n";
  return kExitNoService;
}

// --json prints the reply itself; otherwise the formatter's text.
template <typename Message, typename Text>
void print(const CtlCommand& command, const Message& reply, Text text) {
  if (command.json) {
    std::cout << ha::director::toJsonEnvelope(reply);
  } else {
    std::cout << text();
  }
}

// The table above is the plan; say so when the kernel is known not to hold it.
int degradedOr(Client& client, int otherwise) {
  pb::ForwarderReply forwarder;
  if (client.forwarder(&forwarder).ok() && ha::director::forwarderDegraded(forwarder)) {
    std::cerr << "directorctl: WARNING: the kernel does not hold this table now (see "
                 "directorctl status)\n";
    return kExitDegraded;
  }
  return otherwise;
}

// -t/-u: the one service, as ipvsadm -L -t lists it (no banner); nullopt when it is not there.
// A group member as the codec writes it ("192.0.2.10-192.0.2.12:80", "[fd00::1]:80") covers
// wanted's VIP:PORT.
bool memberCovers(const std::string& member, const ha::director::ServiceSelector& wanted) {
  const size_t colon = member.rfind(':');
  if (member.starts_with("FWM ") || colon == std::string::npos) return false;
  if (member.substr(colon + 1) != std::to_string(wanted.port)) return false;
  std::string hosts = member.substr(0, colon);
  if (hosts.size() >= 2 && hosts.front() == '[') hosts = hosts.substr(1, hosts.size() - 2);
  const size_t dash = hosts.find('-');
  auto first = ha::IpAddress::parse(hosts.substr(0, dash));
  auto last = dash == std::string::npos ? first : ha::IpAddress::parse(hosts.substr(dash + 1));
  return first && last && first->family() == wanted.vip.family() && *first <= wanted.vip &&
         wanted.vip <= *last;
}

std::optional<pb::ServiceList> onlyService(const pb::ServiceList& all,
                                           const ha::director::ServiceSelector& wanted) {
  for (const pb::ServiceStatus& s : all.services()) {
    auto vip = ha::IpAddress::parse(s.vip());
    const bool member = !s.group().empty() && s.protocol() == wanted.protocol &&
                        std::any_of(s.members().begin(), s.members().end(),
                                    [&](const auto& m) { return memberCovers(m, wanted); });
    if (member || (s.group().empty() && s.fwmark() == 0 && s.protocol() == wanted.protocol && vip &&
                   *vip == wanted.vip && s.port() == wanted.port)) {
      pb::ServiceList one = all;
      one.clear_services();
      *one.add_services() = s;
      return one;
    }
  }
  return std::nullopt;
}

int runList(Client& client, const CtlCommand& command) {
  pb::ServiceList reply;
  if (auto status = client.list(&reply, command.rate); !status.ok())
    return unreachable(client, status);
  if (command.service) {
    auto one = onlyService(reply, *command.service);
    if (!one) return noService(command.service->str());
    reply = std::move(*one);
  }
  if (command.timeout) {
    print(command, reply.timeouts(), [&] { return ha::director::formatTimeouts(reply); });
    return degradedOr(client, kExitOk);
  }
  ha::director::ResolvingNames resolver;
  ha::director::ListFormat format{command.stats, ha::director::kDirectordVersion};
  format.rate = command.rate;
  format.exact = command.exact;
  format.banner = !command.service;
  format.names = command.numeric ? nullptr : &resolver;
  print(command, reply, [&] { return ha::director::formatServiceList(reply, format); });
  return degradedOr(client, kExitOk);
}

int runConnections(Client& client, const CtlCommand& command) {
  pb::ConnectionsRequest request;
  if (command.service) {
    request.mutable_service()->set_protocol(command.service->protocol);
    request.mutable_service()->set_vip(command.service->vip.str());
    request.mutable_service()->set_port(command.service->port);
  }
  pb::ConnectionList reply;
  if (auto status = client.connections(request, &reply); !status.ok()) {
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
      return noService(command.service ? command.service->str() : status.error_message());
    }
    return unreachable(client, status);
  }
  ha::director::ResolvingNames resolver;
  print(command, reply, [&] {
    return ha::director::formatConnections(reply, command.numeric ? nullptr : &resolver);
  });
  if (reply.total() > static_cast<uint64_t>(reply.connections_size())) {
    std::cerr << "directorctl: showing " << reply.connections_size() << " of " << reply.total()
              << " connections\n";
  }
  return kExitOk;
}

int runStatus(Client& client, const CtlCommand& command) {
  pb::ForwarderReply reply;
  if (auto status = client.forwarder(&reply); !status.ok()) return unreachable(client, status);
  print(command, reply, [&] { return ha::director::formatForwarder(reply); });
  return ha::director::forwarderDegraded(reply) ? kExitDegraded : kExitOk;
}

int runHealth(Client& client, const CtlCommand& command) {
  pb::ServiceList reply;
  if (auto status = client.list(&reply); !status.ok()) return unreachable(client, status);
  print(command, reply, [&] { return ha::director::formatHealth(reply); });
  return kExitOk;
}

int runVrrp(Client& client, const CtlCommand& command) {
  pb::VrrpList reply;
  if (auto status = client.vrrp(&reply); !status.ok()) return unreachable(client, status);
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  print(command, reply, [&] { return ha::director::formatVrrp(reply, now.count()); });
  return kExitOk;
}

int runSync(Client& client, const CtlCommand& command) {
  pb::SyncReply reply;
  if (auto status = client.sync(&reply); !status.ok()) return unreachable(client, status);
  print(command, reply,
        [&] { return ha::director::formatSync(ha::director::fromSyncReply(reply)); });
  return kExitOk;
}

int runConntrack(Client& client, const CtlCommand& command) {
  pb::ConntrackReply reply;
  if (auto status = client.conntrack(&reply); !status.ok()) return unreachable(client, status);
  print(command, reply, [&] { return ha::director::formatConntrack(reply); });
  return kExitOk;
}

// "one of A B (wrr rotation; ...)": slots repeat a real once per unit of weight, so each real
// is named once, in slot order.
std::string lookupText(const pb::LookupReply& reply, const ha::director::LookupTarget& query) {
  std::string out =
      reply.service() + " <- " + ha::formatEndpoint(query.source, query.sourcePort) + ": ";
  if (reply.deterministic() && !reply.real().empty()) {
    return out + reply.real() + " (" + reply.scheduler() + " slot " + std::to_string(reply.slot()) +
           ")\n";
  }
  if (!reply.deterministic() && !reply.real().empty()) {
    // lc/wlc/sed/nq/ovf: IPVS's pick from the live counts, as the explanation says.
    return out + reply.real() + " (" + reply.explanation() + ")\n";
  }
  if (!reply.deterministic() && reply.candidates_size() > 0) {
    std::vector<std::string> seen;
    for (const auto& c : reply.candidates()) {
      if (std::find(seen.begin(), seen.end(), c) == seen.end()) seen.push_back(c);
    }
    out += "one of";
    for (const auto& c : seen) out += " " + c;
    return out + " (" + reply.scheduler() + " rotation; the kernel's counter decides)\n";
  }
  return out + "none (" + reply.explanation() + ")\n";
}

int runLookup(Client& client, const CtlCommand& command) {
  const auto& args = command.operands;
  auto port = [](const std::string& text) -> std::optional<uint32_t> {
    if (text.empty() || text.size() > 5 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    return static_cast<uint32_t>(std::stoul(text));
  };
  auto sport = port(args[2]);
  auto vport = port(args[4]);
  if (!sport) return usageError("source port \"" + args[2] + "\" is not a number");
  if (!vport) return usageError("VIP port \"" + args[4] + "\" is not a number");
  pb::LookupRequest request;
  request.set_protocol(args[0]);
  request.set_source(args[1]);
  request.set_source_port(*sport);
  request.set_vip(args[3]);
  request.set_vip_port(*vport);
  if (args.size() == 7) {  // ... fwmark N: the packet's mark, as the operator's rules set it
    uint32_t mark = 0;
    auto [end, ec] = std::from_chars(args[6].data(), args[6].data() + args[6].size(), mark);
    if (ec != std::errc() || end != args[6].data() + args[6].size() || mark == 0) {
      return usageError("fwmark \"" + args[6] + "\" is not a mark 1-4294967295");
    }
    request.set_fwmark(mark);
  }
  auto query = ha::director::checkLookupRequest(request);  // refuse locally what directord would
  if (!query) return usageError(query.error());

  pb::LookupReply reply;
  if (auto status = client.lookup(request, &reply); !status.ok()) {
    if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
      std::cerr << "directorctl: directord refused the lookup: " << status.error_message() << "\n";
      return kExitUsage;
    }
    return unreachable(client, status);
  }
  if (!reply.matched()) {
    print(command, reply, [&] {
      return "no virtual service at " + ha::formatEndpoint(query->vip, query->vipPort) + "\n";
    });
    return kExitNoService;
  }
  print(command, reply, [&] { return lookupText(reply, *query); });
  return kExitOk;
}

int runRead(const CtlCommand& command) {
  Client client(command.socketPath);
  switch (command.verb) {
    case CtlVerb::kList:
      return runList(client, command);
    case CtlVerb::kConnections:
      return runConnections(client, command);
    case CtlVerb::kHealth:
      return runHealth(client, command);
    case CtlVerb::kLookup:
      return runLookup(client, command);
    case CtlVerb::kVrrp:
      return runVrrp(client, command);
    case CtlVerb::kSync:
      return runSync(client, command);
    case CtlVerb::kStatus:
      return runStatus(client, command);
    case CtlVerb::kConntrack:
      return runConntrack(client, command);
    case CtlVerb::kHelp:
    case CtlVerb::kVersion:
    case CtlVerb::kEdit:
      break;
  }
  return usageError("not a read");
}

bool isZeroVerb(std::string_view a) { return a == "-Z" || a == "--zero"; }

// ipvsadm -Z [-t|-u VIP:PORT]: the counters and rates -L shows restart from zero (Prometheus'
// counters never do). A mutating call: root or admin_group, as the edits.
int runZero(const std::string& socketPath, const std::vector<std::string_view>& args) {
  pb::ZeroRequest request;
  if (args.size() == 2) {
    std::string_view flag = args[0];
    if (flag == "--tcp-service") flag = "-t";
    if (flag == "--udp-service") flag = "-u";
    auto service = ha::director::parseServiceRef(flag, args[1]);
    if (!service) return usageError("-Z: " + service.error());
    *request.mutable_service() = service.value();
  } else if (!args.empty()) {
    return usageError("-Z takes nothing, or -t|-u VIP:PORT");
  }
  Client client(socketPath);
  pb::ZeroReply reply;
  auto status = client.zero(request, &reply);
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return kExitOk;
    case grpc::StatusCode::NOT_FOUND:
      std::cerr << "directorctl: " << status.error_message() << "\n";
      return kExitNoService;
    case grpc::StatusCode::PERMISSION_DENIED:
      std::cerr << "directorctl: -Z refused: " << status.error_message() << "\n";
      return ha::director::kEditExitDenied;
    case grpc::StatusCode::INVALID_ARGUMENT:
      return usageError("-Z: " + status.error_message());
    default:
      return unreachable(client, status);
  }
}

int run(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  auto command = ha::director::parseCtlArgs(args);
  if (!command) return usageError(command.error());
  if (command->verb == CtlVerb::kHelp) {
    std::cout
        << kUsageLine << ha::director::kEditUsage
        << "       directorctl [--admin-socket PATH] -Z [-t|-u VIP:PORT]\n"
        << kHelp << "\nipvsadm's edits (one transaction each):\n"
        << ha::director::kEditHelp
        << "  -Z [-t|-u VIP:PORT]  zero the counters and rates -L shows, of one service or all\n"
           "           (Prometheus' counters never reset; same caller check as edits)\n";
    return kExitOk;
  }
  if (command->verb == CtlVerb::kVersion) {
    std::cout << "directorctl " << ha::director::kDirectordVersion << " (JSON schema "
              << ha::director::kJsonSchema << ")\n";
    return kExitOk;
  }
  // ipvsadm's edits (-A -E -D -a -e -d -S -R) have their own parser; -Z is zeroCounters.
  if (command->verb == CtlVerb::kEdit) {
    auto verb = std::find_if(args.begin(), args.end(), [](std::string_view a) {
      return ha::director::isEditVerb(a) || isZeroVerb(a);
    });
    if (verb == args.end()) return usageError("no command given");
    const std::vector<std::string_view> rest(verb, args.end());
    if (isZeroVerb(*verb)) return runZero(command->socketPath, {rest.begin() + 1, rest.end()});
    return ha::director::runEditVerb(command->socketPath, rest, std::cin, std::cout, std::cerr);
  }
  return runRead(*command);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {  // out of memory, a gRPC or protobuf failure
    std::cerr << "directorctl: " << e.what() << "\n";
    return kExitUnreachable;
  }
}
