// directorctl: asks a running directord, over its admin socket, what `ipvsadm -Ln` would show,
// how its health checks fare, which real a flow would reach, how VRRP and connection sync stand.
// Exit: 0 ok, 1 directord unreachable, 2 usage, 3 no such service.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "director/ctl/admin_client.h"
#include "director/ctl/conntrack_format.h"
#include "director/ctl/edit_verbs.h"
#include "director/ctl/forwarder_format.h"
#include "director/ctl/health_format.h"
#include "director/ctl/ipvsadm_edit_args.h"
#include "director/ctl/ipvsadm_format.h"
#include "director/ctl/lookup_request.h"
#include "director/ctl/sync_format.h"
#include "director/ctl/sync_reply.h"
#include "director/ctl/version.h"
#include "director/ctl/vrrp_format.h"

namespace {

namespace pb = directord::admin;
using ha::director::LookupTarget;

constexpr std::string_view kDefaultSocket = "/run/directord.sock";

constexpr int kExitOk = 0;
constexpr int kExitUnreachable = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNoService = 3;
// The kernel does not hold what directord planned (a drift repair pending or failing).
constexpr int kExitDegraded = 4;

constexpr std::string_view kUsage =
    "usage: directorctl [--admin-socket PATH] list [--stats]\n"
    "       directorctl [--admin-socket PATH] health\n"
    "       directorctl [--admin-socket PATH] lookup tcp|udp SRC SPORT VIP VPORT\n"
    "       directorctl [--admin-socket PATH] vrrp\n"
    "       directorctl [--admin-socket PATH] sync\n"
    "       directorctl [--admin-socket PATH] conntrack\n"
    "       directorctl [--admin-socket PATH] status\n"
    "       directorctl --help\n"
    "\n"
    "  list     the virtual-server table, as `ipvsadm -Ln` plus each real's health and last\n"
    "           check (--stats: as `ipvsadm -Ln --stats`)\n"
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
    "exit codes: 0 ok; 1 directord unreachable; 2 usage; 3 no such service (lookup);\n"
    "            4 the kernel does not hold what directord planned (list, status: a drift\n"
    "            repair is pending or failing; the table printed is the plan)\n"
    "  --admin-socket PATH   directord's admin socket (default /run/directord.sock)\n";

int usageError(std::string_view why) {
  std::cerr << "directorctl: " << why << "\n(see directorctl --help)\n";
  return kExitUsage;
}

std::optional<uint32_t> parsePort(std::string_view text) {
  uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

using Client = ha::director::AdminClient;

int unreachable(const Client& client, const grpc::Status& status) {
  std::cerr << "directorctl: cannot reach directord at " << client.socketPath() << ": "
            << status.error_message() << "\n";
  return kExitUnreachable;
}

int runList(Client& client, const std::vector<std::string_view>& args) {
  bool stats = false;
  for (std::string_view a : args) {
    if (a == "--stats") {
      stats = true;
    } else {
      return usageError("list: unknown option " + std::string(a));
    }
  }
  pb::ServiceList reply;
  if (auto status = client.list(&reply); !status.ok()) return unreachable(client, status);
  std::cout << ha::director::formatServiceList(
      reply, ha::director::ListFormat{stats, ha::director::kDirectordVersion});
  // The table above is the plan; say so when the kernel is known not to hold it.
  pb::ForwarderReply forwarder;
  if (client.forwarder(&forwarder).ok()) {
    if (ha::director::forwarderDegraded(forwarder)) {
      std::cerr << "directorctl: WARNING: the kernel does not hold this table now (see directorctl status)\n";
      return kExitDegraded;
    }
  }
  return kExitOk;
}

int runStatus(Client& client, const std::vector<std::string_view>& args) {
  if (!args.empty()) return usageError("status takes no arguments");
  pb::ForwarderReply reply;
  if (auto status = client.forwarder(&reply); !status.ok()) return unreachable(client, status);
  std::cout << ha::director::formatForwarder(reply);
  return ha::director::forwarderDegraded(reply) ? kExitDegraded : kExitOk;
}

int runHealth(Client& client, const std::vector<std::string_view>& args) {
  if (!args.empty()) return usageError("health takes no arguments");
  pb::ServiceList reply;
  if (auto status = client.list(&reply); !status.ok()) return unreachable(client, status);
  std::cout << ha::director::formatHealth(reply);
  return kExitOk;
}

int runVrrp(Client& client, const std::vector<std::string_view>& args) {
  if (!args.empty()) return usageError("vrrp takes no arguments");
  pb::VrrpList reply;
  if (auto status = client.vrrp(&reply); !status.ok()) return unreachable(client, status);
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  std::cout << ha::director::formatVrrp(reply, now.count());
  return kExitOk;
}

int runSync(Client& client, const std::vector<std::string_view>& args) {
  if (!args.empty()) return usageError("sync takes no arguments");
  pb::SyncReply reply;
  if (auto status = client.sync(&reply); !status.ok()) return unreachable(client, status);
  std::cout << ha::director::formatSync(ha::director::fromSyncReply(reply));
  return kExitOk;
}

int runConntrack(Client& client, const std::vector<std::string_view>& args) {
  if (!args.empty()) return usageError("conntrack takes no arguments");
  pb::ConntrackReply reply;
  if (auto status = client.conntrack(&reply); !status.ok()) return unreachable(client, status);
  std::cout << ha::director::formatConntrack(reply);
  return kExitOk;
}

// The scheduler name is not part of LookupReply; the service table has it.
std::string schedulerOf(const pb::ServiceList& list, const LookupTarget& q) {
  for (const auto& s : list.services()) {
    auto vip = ha::IpAddress::parse(s.vip());
    if (s.protocol() == q.protocolName && vip && *vip == q.vip && s.port() == q.vipPort) {
      return s.scheduler();
    }
  }
  return "?";
}

int runLookup(Client& client, const std::vector<std::string_view>& args) {
  if (args.size() != 5) return usageError("lookup takes tcp|udp SRC SPORT VIP VPORT");
  auto sport = parsePort(args[2]);
  auto vport = parsePort(args[4]);
  if (!sport) return usageError("source port \"" + std::string(args[2]) + "\" is not a number");
  if (!vport) return usageError("VIP port \"" + std::string(args[4]) + "\" is not a number");
  pb::LookupRequest request;
  request.set_protocol(std::string(args[0]));
  request.set_source(std::string(args[1]));
  request.set_source_port(*sport);
  request.set_vip(std::string(args[3]));
  request.set_vip_port(*vport);
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
    std::cout << "no virtual service at " << ha::formatEndpoint(query->vip, query->vipPort) << "\n";
    return kExitNoService;
  }
  pb::ServiceList services;
  if (auto status = client.list(&services); !status.ok()) return unreachable(client, status);
  const std::string scheduler = schedulerOf(services, *query);

  std::cout << reply.service() << " <- " << ha::formatEndpoint(query->source, query->sourcePort)
            << ": ";
  if (reply.deterministic() && !reply.real().empty()) {
    std::cout << reply.real() << " (" << scheduler << " slot " << reply.slot() << ")\n";
  } else if (!reply.deterministic() && reply.candidates_size() > 0) {
    // Slots repeat a real once per unit of weight; name each real once, in slot order.
    std::vector<std::string> seen;
    for (const auto& c : reply.candidates()) {
      if (std::find(seen.begin(), seen.end(), c) == seen.end()) seen.push_back(c);
    }
    std::cout << "one of";
    for (const auto& c : seen) std::cout << " " << c;
    std::cout << " (" << scheduler << " rotation; the kernel's counter decides)\n";
  } else {
    std::cout << "none (" << reply.explanation() << ")\n";
  }
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  std::string socketPath(kDefaultSocket);
  size_t i = 0;
  for (; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a == "--help" || a == "-h") {
      std::cout << kUsage << "\nruntime edits, as ipvsadm:\n"
                << ha::director::kEditUsage << ha::director::kEditHelp;
      return kExitOk;
    }
    if (a == "--admin-socket") {
      if (++i == args.size()) return usageError("--admin-socket needs a PATH");
      socketPath = std::string(args[i]);
    } else if (a.starts_with("--admin-socket=")) {
      socketPath = std::string(a.substr(a.find('=') + 1));
    } else if (ha::director::isEditVerb(a)) {
      std::vector<std::string_view> edit(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      return ha::director::runEditVerb(socketPath, edit, std::cin, std::cout, std::cerr);
    } else if (a.starts_with("-")) {
      return usageError("unknown option " + std::string(a));
    } else {
      break;
    }
  }
  if (i == args.size()) return usageError("no command given");
  std::string_view command = args[i];
  std::vector<std::string_view> rest(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
  if (socketPath.empty()) return usageError("--admin-socket PATH is empty");

  Client client(socketPath);
  if (command == "list") return runList(client, rest);
  if (command == "health") return runHealth(client, rest);
  if (command == "lookup") return runLookup(client, rest);
  if (command == "vrrp") return runVrrp(client, rest);
  if (command == "sync") return runSync(client, rest);
  if (command == "status") return runStatus(client, rest);
  if (command == "conntrack") return runConntrack(client, rest);
  return usageError("unknown command " + std::string(command));
}
