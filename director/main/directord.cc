// directord: keepalived's flags and config grammar, nftables instead of IPVS.
#include <getopt.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "common/log.h"
#include "common/log_setup.h"
#include "common/ownership/runtime_dir.h"
#include "director/bpf/libbpf_datapath.h"
#include "director/config/config_loader.h"
#include "director/ctl/version.h"
#include "director/main/production_ports.h"
#include "director/main/systemd_notify.h"
#include "director/metrics/metrics_server.h"
#include "director/metrics/node_collector.h"
#include "director/nft/ir_text.h"
#include "director/nft/render.h"
#include "director/node/host_checks.h"
#include "director/node/node.h"
#include "director/node/reclaim.h"
#include "director/server/admin_server.h"

namespace {

constexpr int kExitRuntimeError = 1;
constexpr int kExitConfigError = 2;
constexpr int kExitAlreadyRunning = 3;  // another directord holds this network namespace

void usage(std::FILE* out) {
  std::fprintf(
      out,
      "Usage: directord [OPTION]...\n"
      "  -f, --use-file=FILE      configuration file (default /etc/directord/directord.conf)\n"
      "  -t, --config-test        check the configuration, list every problem, exit\n"
      "  -i, --config-id=ID       apply the config's '@ID' lines, skip other '@' lines and\n"
      "                           '@^ID' lines (default: the host name up to its first dot)\n"
      "      --dump-ruleset       with -t: print the nf_tables objects the config renders to\n"
      "  -l, --log-console        log to the console instead of syslog\n"
      "  -n, --dont-fork          accepted; directord always runs in the foreground\n"
      "  -D, --log-detail         debug logging\n"
      "  -S, --log-facility=FACILITY  syslog facility: 0-7 (local0-local7), local0-local7, user, "
      "daemon\n"
      "                           (default daemon)\n"
      "      --dump-dir=DIR       where SIGUSR1 / SIGUSR2 write keepalived.data / "
      "keepalived.stats\n"
      "                           (default /tmp, as keepalived)\n"
      "      --debug-hang-loop=LOOP:AFTER:FOR  test aid for the systemd watchdog: AFTER seconds\n"
      "                           after start, the io_context thread LOOP (director, vrrp, "
      "health,\n"
      "                           sync) runs one handler that sleeps FOR seconds, as a hung loop "
      "would\n"
      "      --admin-socket=PATH  admin API socket (default /run/directord.sock)\n"
      "      --state-dir=DIR      runtime state: DIR/net-<netns inode>/{lock,state} (default "
      "/run/directord)\n"
      "  -p, --pid-file=FILE      write the PID to FILE (removed on exit)\n"
      "      --bpf-object=FILE    load the eBPF datapath (TUN, client_address) from FILE, an\n"
      "                           object built from director/bpf/progs/director_datapath.bpf.c,\n"
      "                           instead of the program built into directord\n"
      "      --metrics-listen=ADDR:PORT  serve Prometheus /metrics there ([ADDR]:PORT for IPv6;\n"
      "                           wins over global_defs metrics_listen; default: off)\n"
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

// The pid file of -p: written once the instance lock is ours, removed on the way out.
class PidFile {
 public:
  explicit PidFile(std::string path) : path_(std::move(path)) {
    if (path_.empty()) return;
    std::ofstream out(path_, std::ios::trunc);
    out << getpid() << "\n";
    if (!out) ha::log::error("pid file " + path_ + ": cannot write it");
  }
  ~PidFile() {
    if (!path_.empty()) std::remove(path_.c_str());
  }
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;

 private:
  std::string path_;
};

// The eBPF datapath's links are pinned (they outlive a crash, as the tables do) unless the
// tables die with the process (nftables_owner process). Nothing touches the kernel until a config
// has a TUN or client_address toa service; then the first apply also removes what an earlier run
// pinned and this config does not use.
std::unique_ptr<ha::director::bpf::DatapathPort> openDatapath(
    const ha::NetnsIdentity& netns, ha::director::TableOwnership ownership,
    const std::string& objectPath) {
  namespace bpf = ha::director::bpf;
  bpf::DatapathOptions options;
  options.objectPath = objectPath;
  if (ownership != ha::director::TableOwnership::kProcess) {
    if (auto dir = bpf::preparePinDir(netns.inode)) {
      options.pinDir = dir.value();
    } else {
      ha::log::warning(dir.error() + "; eBPF links will not outlive this process");
    }
  }
  return std::make_unique<bpf::LibbpfDatapath>(std::move(options));
}

// Leaves nothing of ours behind on the way out: sweeps what the ledger still lists (nothing after
// a clean node.stop()), then removes the state file. Used on every exit after the lock was taken.
int leaveNothingBehind(ha::OwnershipLedger& ledger, const ha::director::ReclaimPorts& ports,
                       std::string_view when, int exitCode) {
  ha::director::sweepLedger(ledger, ports, when);
  if (auto st = ledger.eraseIfEmpty(); !st) ha::log::error("state file kept: " + st.error());
  return exitCode;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ha::director;
  std::string configPath = "/etc/directord/directord.conf";
  std::string adminSocket = "/run/directord.sock";
  std::string stateBase = "/run/directord";
  std::string pidPath;
  std::string dumpDir = "/tmp";
  std::string configId = defaultConfigId();
  std::optional<HangDrill> hangDrill;
  std::optional<ListenAddress> metricsFlag;
  bool test = false, console = false, dumpRuleset = false;
  std::string bpfObject;
  enum {
    kAdminSocket = 1000,
    kDumpRuleset,
    kStateDir,
    kDumpDir,
    kDebugHangLoop,
    kMetricsListen,
    kBpfObject
  };
  const option longOptions[] = {{"use-file", required_argument, nullptr, 'f'},
                                {"config-test", no_argument, nullptr, 't'},
                                {"config-id", required_argument, nullptr, 'i'},
                                {"log-console", no_argument, nullptr, 'l'},
                                {"dont-fork", no_argument, nullptr, 'n'},
                                {"log-detail", no_argument, nullptr, 'D'},
                                {"version", no_argument, nullptr, 'v'},
                                {"help", no_argument, nullptr, 'h'},
                                {"admin-socket", required_argument, nullptr, kAdminSocket},
                                {"dump-ruleset", no_argument, nullptr, kDumpRuleset},
                                {"state-dir", required_argument, nullptr, kStateDir},
                                {"pid-file", required_argument, nullptr, 'p'},
                                {"log-facility", required_argument, nullptr, 'S'},
                                {"dump-dir", required_argument, nullptr, kDumpDir},
                                {"debug-hang-loop", required_argument, nullptr, kDebugHangLoop},
                                {"metrics-listen", required_argument, nullptr, kMetricsListen},
                                {"bpf-object", required_argument, nullptr, kBpfObject},
                                {nullptr, 0, nullptr, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "f:ti:lnDvhp:S:", longOptions, nullptr)) != -1) {
    switch (c) {
      case 'f': configPath = optarg; break;
      case 't': test = true; break;
      case 'i':
        configId = optarg;
        break;
      case 'l': console = true; break;
      case 'n': break;
      case 'D': ha::log::setDebug(true); break;
      case 'v': std::printf("directord %s\n", kDirectordVersion.data()); return 0;
      case 'h': usage(stdout); return 0;
      case 'p': pidPath = optarg; break;
      case kAdminSocket: adminSocket = optarg; break;
      case kBpfObject:
        bpfObject = optarg;
        break;
      case kDumpRuleset: dumpRuleset = true; break;
      case kStateDir: stateBase = optarg; break;
      case 'S': {
        auto facility = ha::log::parseFacility(optarg);
        if (!facility) {
          std::fprintf(stderr,
                       "directord: unknown log facility '%s' (0-7, local0-local7, user, daemon)\n",
                       optarg);
          usage(stderr);
          return kExitConfigError;
        }
        ha::log::setFacility(*facility);
        break;
      }
      case kDumpDir:
        dumpDir = optarg;
        break;
      case kDebugHangLoop: {
        std::string why;
        hangDrill = parseHangDrill(optarg, why);
        if (!hangDrill) {
          std::fprintf(stderr, "directord: --debug-hang-loop: %s\n", why.c_str());
          usage(stderr);
          return kExitConfigError;
        }
        break;
      }
      case kMetricsListen: {
        auto parsed = ha::director::metrics::parseListenAddress(optarg);
        if (!parsed) {
          std::fprintf(stderr, "directord: --metrics-listen %s\n", parsed.error().c_str());
          usage(stderr);
          return kExitConfigError;
        }
        metricsFlag = *parsed;
        break;
      }
      default: usage(stderr); return kExitConfigError;
    }
  }
  if (optind != argc) {
    usage(stderr);
    return kExitConfigError;
  }

  // -t touches nothing: no lock, no state, no kernel.
  if (test)
    return checkConfig(loadConfigFile(configPath, ha::systemFileProbe(), configId), dumpRuleset);

  std::error_code dirError;
  if (!std::filesystem::is_directory(dumpDir, dirError)) {
    std::fprintf(stderr, "directord: --dump-dir %s is not a directory\n", dumpDir.c_str());
    return kExitConfigError;
  }
  ha::log::toConsole(console || isatty(STDERR_FILENO) != 0);
  // A closed stdout/stderr (a log pipe whose reader went) must not kill us mid-run with our
  // addresses and tables in place; writes then fail, and that is all (keepalived does the same).
  std::signal(SIGPIPE, SIG_IGN);
  // One directord per network namespace, decided before anything touches the kernel, the state
  // file or the admin socket: a refused second instance changes nothing.
  auto netns = ha::currentNetns();
  if (!netns) {
    ha::log::error("cannot identify the network namespace: " + netns.error());
    return kExitRuntimeError;
  }
  const std::string runtimeDir = ha::runtimeDirFor(stateBase, *netns);
  std::error_code ec;
  auto absoluteConfig = std::filesystem::absolute(configPath, ec);
  ha::InstanceInfo me{getpid(), ec ? configPath : absoluteConfig.string(), adminSocket, ha::utcNow()};
  auto locked = ha::InstanceLock::acquire(runtimeDir, me);
  if (!locked.lock) {
    if (locked.heldByAnother) {
      ha::log::error("another directord runs in this network namespace (net:[" + std::to_string(netns->inode) +
                     "]): " + locked.message + "; not starting, nothing changed (exit " +
                     std::to_string(kExitAlreadyRunning) + ")");
      return kExitAlreadyRunning;
    }
    ha::log::error("cannot take the instance lock: " + locked.message);
    return kExitRuntimeError;
  }
  PidFile pidFile(pidPath);
  auto stateFile = std::make_unique<ha::StateFile>(runtimeDir);
  ha::Ledger inherited = ha::inheritLedger(*stateFile, *netns);
  auto ledger = std::make_shared<ha::OwnershipLedger>(std::move(inherited), std::move(stateFile));
  // Restamped with this boot and namespace, the journal folded: from here on every change appends.
  if (auto st = ledger->compact(); !st) ha::log::error("state file: " + st.error());

  auto loaded = loadConfigFile(configPath, ha::systemFileProbe(), configId);
  ha::director::logDiagnostics(loaded.diagnostics);

  auto kernel = openKernelPorts(ledger);
  if (!kernel) {
    ha::log::error(kernel.error());
    return kExitRuntimeError;
  }
  const ReclaimPorts sweepPorts = kernel->sweepPorts();
  if (loaded.hasErrors()) {
    ha::log::error("configuration has errors: nothing applied");
    return leaveNothingBehind(*ledger, sweepPorts, "(the config has errors)", kExitConfigError);
  }
  // /metrics is bound before anything touches the kernel: a port that is taken stops the start
  // with nothing changed (what an earlier run left is reclaimed by the next start).
  auto collector = std::make_shared<metrics::NodeCollector>(std::string(kDirectordVersion));
  std::unique_ptr<metrics::MetricsServer> metricsServer;
  if (auto where = metricsFlag ? metricsFlag : loaded.config.globals.metricsListen) {
    auto started = metrics::MetricsServer::start(*where, collector);
    if (!started) {
      ha::log::error(started.error() + "; not starting, nothing changed (exit " +
                     std::to_string(kExitRuntimeError) + ")");
      return kExitRuntimeError;
    }
    metricsServer = std::move(started.value());
    ha::log::info("serving Prometheus metrics on http://" + where->str() + "/metrics");
  }
  reclaimAtStart(*ledger, kernel->present, wantedAddresses(loaded.config), sweepPorts);
  for (const auto& warning :
       hostWarnings(loaded.config, readSysctls(wantedSysctls(loaded.config)))) {
    ha::log::warning(warning);
  }

  // Health verdicts are posted to the node, which exists once apply() is first called (from
  // node.start), so the listener never sees a null node.
  std::atomic<Node*> healthTarget{nullptr};
  NodePorts ports;
  auto assembled =
      assembleNodePorts(ports, std::move(kernel.value()), ledger, loaded.config,
                        [&healthTarget](std::vector<ha::healthcheck::HealthEvent> events) {
                          if (Node* target = healthTarget.load())
                            target->onHealthEvents(std::move(events));
                        });
  if (!assembled) {
    ha::log::error(assembled.error());
    return leaveNothingBehind(*ledger, sweepPorts, "(VRRP did not start)", kExitRuntimeError);
  }
  ports.datapath = openDatapath(*netns, loaded.config.globals.tableOwnership, bpfObject);
  auto systemd = std::make_shared<SystemdNotify>();
  ports.serviceManager = systemd;
  Node node({configPath, adminSocket, dumpDir, configId}, std::move(ports));
  healthTarget.store(&node);
  // A scrape in progress finishes before the node goes (attach(nullptr) waits for it).
  struct DetachMetrics {
    metrics::NodeCollector& collector;
    ~DetachMetrics() { collector.attach(nullptr); }
  } detachMetrics{*collector};
  if (auto st = node.start(loaded.config); !st) {
    ha::log::error("not started: " + st.error());
    node.stop();
    return leaveNothingBehind(*ledger, sweepPorts, "after a failed start", kExitConfigError);
  }
  collector->attach(&node);
  AdminServer admin(node);
  if (auto st = admin.start(adminSocket); !st) {
    ha::log::error("admin socket: " + st.error());
    collector->attach(nullptr);
    node.stop();
    return leaveNothingBehind(*ledger, sweepPorts, "after a failed start", kExitRuntimeError);
  }
  ha::log::info("directord " + std::string(kDirectordVersion) + " running with " + configPath + " (state in " +
                runtimeDir + ")");
  node.announceReady();
  // WatchdogSec= in the unit: each loop must prove it turns (director/node/watchdog.h).
  std::unique_ptr<Watchdog> watchdog;
  if (auto period = systemdWatchdogPeriod()) {
    watchdog = std::make_unique<Watchdog>(
        node.loops(), *period, [systemd] { systemd->watchdog(); }, hangDrill);
  } else if (hangDrill) {
    ha::log::warning(
        "--debug-hang-loop ignored: no systemd watchdog (WATCHDOG_USEC) to show it to");
  }
  // The admin server and the metrics collector stop first, while the director loop still answers
  // their in-flight calls; then nothing can call into the loops that node.stop() shuts down.
  node.runUntilSignalled([&admin, &collector] {
    admin.stop();
    collector->attach(nullptr);
  });
  watchdog.reset();  // its heartbeats go to the loops node.stop() ends
  node.stop();
  healthTarget.store(nullptr);
  return leaveNothingBehind(*ledger, sweepPorts, "at stop (node.stop() left them)", 0);
}
