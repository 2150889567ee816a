// directord: keepalived's flags and config grammar, nftables instead of IPVS.
#include <atomic>
#include <getopt.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "common/log.h"
#include "common/netlink/netlink_address_owner.h"
#include "director/admin/admin_server.h"
#include "director/admin/conntrack_counts.h"
#include "director/admin/version.h"
#include "director/config/config_loader.h"
#include "director/nft/ir_text.h"
#include "director/nft/netlink_writer.h"
#include "director/nft/render.h"
#include "director/node/conntrack_watch.h"
#include "director/node/node.h"
#include "healthcheck/service.h"
#include "sync/service.h"
#include "vrrp/service.h"

namespace {

constexpr int kExitConfigError = 2;
constexpr int kExitRuntimeError = 1;

void usage(std::FILE* out) {
  std::fprintf(out,
               "Usage: directord [OPTION]...\n"
               "  -f, --use-file=FILE      configuration file (default /etc/directord/directord.conf)\n"
               "  -t, --config-test        check the configuration, list every problem, exit\n"
               "      --dump-ruleset       with -t: print the nf_tables objects the config renders to\n"
               "  -l, --log-console        log to the console instead of syslog\n"
               "  -n, --dont-fork          accepted; directord always runs in the foreground\n"
               "  -D, --log-detail         debug logging\n"
               "      --admin-socket=PATH  admin API socket (default /run/directord.sock)\n"
               "  -v, --version            print the version\n"
               "  -h, --help               this help\n");
}

void printDiagnostics(const ha::director::LoadResult& loaded) {
  for (const auto& d : loaded.diagnostics) std::fprintf(stderr, "%s\n", d.str().c_str());
}

// -t: everything the config alone can tell, including what the plan builder would refuse.
int checkConfig(const ha::director::LoadResult& loaded, bool dumpRuleset) {
  using namespace ha::director;
  printDiagnostics(loaded);
  if (loaded.hasErrors()) {
    std::fprintf(stderr, "configuration has errors: nothing would be applied\n");
    return kExitConfigError;
  }
  PlanInputs inputs;
  inputs.config = &loaded.config;
  inputs.serviceIds = assignServiceIds({}, loaded.config);
  // Devices are checked at start; here any index will do.
  for (const auto& sa : loaded.config.staticAddresses) inputs.ifindexes[sa.dev] = 0;
  for (const auto& instance : loaded.config.vrrp.instances) {
    inputs.ifindexes[instance.interface] = 0;
    for (const auto* list : {&instance.addresses, &instance.excludedAddresses}) {
      for (const auto& a : *list) {
        if (!a.dev.empty()) inputs.ifindexes[a.dev] = 0;
      }
    }
  }
  auto plan = buildPlan(inputs);
  if (!plan) {
    std::fprintf(stderr, "%s\n", plan.error().c_str());
    return kExitConfigError;
  }
  if (dumpRuleset) std::cout << ha::director::nft::toText(ha::director::nft::render(plan.value()));
  std::fprintf(stderr, "configuration OK: %zu virtual services\n", plan->services.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ha::director;
  std::string configPath = "/etc/directord/directord.conf";
  std::string adminSocket = "/run/directord.sock";
  bool test = false, console = false, dumpRuleset = false;
  enum { kAdminSocket = 1000, kDumpRuleset };
  const option longOptions[] = {
      {"use-file", required_argument, nullptr, 'f'}, {"config-test", no_argument, nullptr, 't'},
      {"log-console", no_argument, nullptr, 'l'},    {"dont-fork", no_argument, nullptr, 'n'},
      {"log-detail", no_argument, nullptr, 'D'},     {"version", no_argument, nullptr, 'v'},
      {"help", no_argument, nullptr, 'h'},           {"admin-socket", required_argument, nullptr, kAdminSocket},
      {"dump-ruleset", no_argument, nullptr, kDumpRuleset}, {nullptr, 0, nullptr, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "f:tlnDvh", longOptions, nullptr)) != -1) {
    switch (c) {
      case 'f': configPath = optarg; break;
      case 't': test = true; break;
      case 'l': console = true; break;
      case 'n': break;
      case 'D': ha::log::setDebug(true); break;
      case 'v': std::printf("directord %s\n", kDirectordVersion.data()); return 0;
      case 'h': usage(stdout); return 0;
      case kAdminSocket: adminSocket = optarg; break;
      case kDumpRuleset: dumpRuleset = true; break;
      default: usage(stderr); return kExitConfigError;
    }
  }
  if (optind != argc) {
    usage(stderr);
    return kExitConfigError;
  }

  auto loaded = loadConfigFile(configPath);
  if (test) return checkConfig(loaded, dumpRuleset);

  ha::log::toConsole(console || isatty(STDERR_FILENO) != 0);
  for (const auto& d : loaded.diagnostics) {
    (d.severity == Diagnostic::Severity::kError ? ha::log::error : ha::log::warning)(d.str());
  }
  if (loaded.hasErrors()) {
    ha::log::error("configuration has errors: nothing applied");
    return kExitConfigError;
  }

  auto writer = nft::NetlinkNftWriter::open();
  if (!writer) {
    ha::log::error("cannot open nf_tables netlink: " + writer.error());
    return kExitRuntimeError;
  }
  auto addresses = ha::NetlinkAddressOwner::open();
  if (!addresses) {
    ha::log::error("cannot open rtnetlink: " + addresses.error());
    return kExitRuntimeError;
  }
  NodePorts ports;
  ports.nft = std::move(writer.value());
  ports.addresses = std::move(addresses.value());
  ports.conntrack = std::make_unique<NetfilterConntrack>();
  // VRRP runs on its own thread from here on; a node without vrrp_instance can do without it.
  auto vrrp = ha::vrrp::Service::open(nullptr);
  if (vrrp) {
    ports.vrrp = std::move(vrrp.value());
  } else if (!loaded.config.vrrp.instances.empty()) {
    ha::log::error("cannot start VRRP: " + vrrp.error());
    return kExitRuntimeError;
  } else {
    ha::log::warning("VRRP unavailable (" + vrrp.error() + "); a reload adding vrrp_instance will be refused");
  }
  // Health checks run on their own thread; verdicts are posted to the node, which exists once
  // apply() is first called (from node.start), so the listener never sees a null node.
  std::atomic<Node*> healthTarget{nullptr};
  // A full conntrack table drops our probes' SYNs without a word: such failures are held as
  // inconclusive while the watch says the table is under pressure (director/node/conntrack_watch.h).
  ports.conntrackWatch = std::make_shared<ConntrackWatch>(std::make_unique<NetlinkConntrackStats>());
  ha::healthcheck::ServiceOptions healthOptions;
  healthOptions.localTrouble = [watch = ports.conntrackWatch] { return watch->probeTrouble(ha::Clock::now()); };
  ports.health = ha::healthcheck::Service::start(
      [&healthTarget](std::vector<ha::healthcheck::HealthEvent> events) {
        if (Node* target = healthTarget.load()) target->onHealthEvents(std::move(events));
      },
      ha::healthcheck::makeCheckerSet, healthOptions);
  // Sync runs on its own thread (gRPC on its own); readiness opens track_sync instances for
  // preemption. The VRRP service outlives it: the node stops sync before it drops its ports.
  ha::vrrp::Control* vrrpControl = ports.vrrp.get();
  ports.sync = std::make_unique<ha::sync::Service>(
      [vrrpControl](bool ready) {
        if (vrrpControl != nullptr) vrrpControl->setSyncReady(ready);
      },
      ha::sync::productionPorts());
  Node node({configPath, adminSocket}, std::move(ports));
  healthTarget.store(&node);
  if (auto st = node.start(loaded.config); !st) {
    ha::log::error("not started: " + st.error());
    return kExitConfigError;
  }
  AdminServer admin(node);
  if (auto st = admin.start(adminSocket); !st) {
    ha::log::error("admin socket: " + st.error());
    node.stop();
    return kExitRuntimeError;
  }
  ha::log::info("directord " + std::string(kDirectordVersion) + " running with " + configPath);
  node.runUntilSignalled();
  admin.stop();
  node.stop();
  healthTarget.store(nullptr);
  return 0;
}
