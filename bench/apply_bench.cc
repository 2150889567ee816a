// apply_bench: how directord's rule set scales with the number of services, against `nft -f`
// loading the same maps and chains in the same run. Runs in a network namespace of its own
// (bench/scale.sh creates one); it refuses the namespace of PID 1 or $HA_HOST_NETNS_INODE.
//
//   config (N services x R reals, in memory) -> plan -> render -> replaceAll/diff -> commit
//   full apply:    from a fresh table, median of --runs, split by stage; VmHWM after it
//   baseline:      `nft -f -` fed render.cc's shape as text (a benchmark may spawn nft)
//   weight change: one real's weight 1 <-> 2 on the full table, median and p99 of --changes, as
//                  directord reloads (whole plan, changed services patched) and as a prototype of
//                  the event path that plans only the changed service
//   timeout change: directorctl --set on the full table (every service to new ct timeout
//                  objects and class chains), as node_timeouts.cc does it, median and p99
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "director/config/config_model.h"
#include "director/nft/diff.h"
#include "director/nft/patch.h"
#include "director/nft/ir_text.h"
#include "director/nft/names.h"
#include "director/nft/netlink_writer.h"
#include "director/nft/render.h"
#include "director/plan/forwarding_plan.h"

namespace ha::director::bench {
namespace {

using Clock = std::chrono::steady_clock;

double msBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Nearest-rank percentile.
double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto rank = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size()) + 0.999999);
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "apply_bench: %s\n", why.c_str());
  std::exit(1);
}

std::string netnsInode(const char* path) {
  struct stat st {};
  return stat(path, &st) == 0 ? std::to_string(st.st_ino) : std::string();
}

// The bench deletes and re-creates `inet directord`: never in the host's namespace.
void refuseHostNamespace() {
  const std::string self = netnsInode("/proc/self/ns/net");
  const char* host = std::getenv("HA_HOST_NETNS_INODE");
  if (self.empty() || self == netnsInode("/proc/1/ns/net") || (host != nullptr && self == host)) {
    die("refusing to run in the host's network namespace: run it via bench/scale.sh, or "
        "`ip netns add X; HA_HOST_NETNS_INODE=$(stat -Lc %i /proc/self/ns/net) ip netns exec X "
        "apply_bench`");
  }
}

std::string statusField(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) {
      auto v = line.substr(std::strlen(field));
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  }
  return "?";
}

// ---- the workload ------------------------------------------------------------------------------

struct Shape {
  uint32_t services = 0;
  uint32_t reals = 10;
  ForwardMode mode = ForwardMode::kNat;
  std::string scheduler = "rr";
  uint32_t mhTableSize = 0;
  std::string label() const {
    std::string s = std::to_string(services) + " x " + std::to_string(reals) + " " +
                    std::string(forwardModeName(mode)) + " " + scheduler;
    if (mhTableSize != 0) s += "/" + std::to_string(mhTableSize);
    return s;
  }
};

constexpr uint32_t kPortsPerVip = 100;
constexpr uint16_t kFirstVipPort = 10000;
constexpr uint16_t kFirstRealPort = 1024;

// VIP k: 192.0.2.1-254, then 198.51.100.1-254, then 203.0.113.1-254 (documentation ranges).
IpAddress vipFor(uint32_t k) {
  static constexpr uint32_t kNets[] = {0xc0000200, 0xc6336400, 0xcb007100};
  if (k >= 3 * 254) die("more than " + std::to_string(3 * 254 * kPortsPerVip) + " services");
  return IpAddress::v4(kNets[k / 254] + k % 254 + 1);
}

// Service i: VIP i/100, port 10000 + i%100. Real j of service i: 198.51.100.(11+j):(1024+i), so
// all N x R endpoints are distinct.
Config makeConfig(const Shape& shape) {
  Config c;
  c.globals.routerId = "apply-bench";
  if (shape.mode == ForwardMode::kFullNat) {
    LocalAddressGroup lag{{"bench", 0}, "LAG4", {}};
    for (uint32_t a = 200; a < 202; ++a) lag.addresses.push_back(IpAddress::v4(0xc6336400 + a));
    c.laddrGroups[lag.name] = lag;
  }
  c.virtualServers.reserve(shape.services);
  for (uint32_t i = 0; i < shape.services; ++i) {
    VirtualServerConfig vs;
    vs.where = {"bench", static_cast<int>(i + 1)};
    vs.vip = vipFor(i / kPortsPerVip);
    vs.port = static_cast<uint16_t>(kFirstVipPort + i % kPortsPerVip);
    vs.scheduler = shape.scheduler;
    vs.mhTableSize = shape.mhTableSize;
    vs.mode = shape.mode;
    if (shape.mode == ForwardMode::kFullNat) vs.laddrGroup = "LAG4";
    for (uint32_t j = 0; j < shape.reals; ++j) {
      RealServerConfig rs;
      rs.where = vs.where;
      rs.address = IpAddress::v4(0xc6336400 + 11 + j);
      rs.port = static_cast<uint16_t>(kFirstRealPort + i);
      vs.reals.push_back(rs);
    }
    c.virtualServers.push_back(std::move(vs));
  }
  return c;
}

// ---- directord's path --------------------------------------------------------------------------

struct Stages {
  double plan = 0, render = 0, diff = 0, commit = 0;
  size_t ops = 0, elements = 0;
  double total() const { return plan + render + diff + commit; }
};

size_t elementsIn(const nft::Transaction& tx) {
  size_t n = 0;
  for (const auto& op : tx.ops) {
    if (const auto* a = std::get_if<nft::AddElements>(&op)) n += a->elements.size();
    if (const auto* d = std::get_if<nft::DeleteElements>(&op)) n += d->elements.size();
  }
  return n;
}

// What directord holds between transactions (Node::installed_, plan_ and its service ids).
struct Installed {
  std::map<ServiceKey, uint32_t> ids;
  nft::NftState state;
  ForwardingPlan plan;
};

const std::vector<nft::TableId>& ourTables() {
  static const std::vector<nft::TableId> kOurs{nft::inetTable(), nft::netdevTable()};
  return kOurs;
}

void commitOrDie(nft::NetlinkNftWriter& writer, const nft::Transaction& tx,
                 const std::string& what) {
  if (auto st = writer.commit(tx); !st) die(what + ": " + st.error());
}

void dropTable(nft::NetlinkNftWriter& writer, const nft::TableId& table) {
  commitOrDie(writer, nft::Transaction{{nft::AddTable{table}, nft::DeleteTable{table}}},
              "drop table");
}

ForwardingPlan planOrDie(const Config& config, std::map<ServiceKey, uint32_t>& ids) {
  PlanInputs in;
  in.config = &config;
  in.serviceIds = assignServiceIds(ids, config);
  auto plan = buildPlan(in);
  if (!plan) die("plan: " + plan.error());
  ids = std::move(in.serviceIds);
  return std::move(plan.value());
}

// `first`: Node::start()'s replaceAll; otherwise Node::reload(): the whole plan, then only the
// changed services rendered and diffed (nft/patch.h) when the plan allows it, else a full diff.
// With a patch, the "render" stage is the patch and "diff" is 0.
Stages applyConfig(nft::NetlinkNftWriter& writer, const Config& config, Installed& installed,
                   bool first) {
  const auto t0 = Clock::now();
  ForwardingPlan plan = planOrDie(config, installed.ids);
  const auto t1 = Clock::now();
  nft::Transaction tx;
  nft::NftState desired;
  const bool patched = !first && nft::canPatch(installed.plan, plan);
  if (patched) {
    tx = nft::patchServices(installed.state, installed.plan, plan, nft::changedServices(installed.plan, plan));
  } else {
    desired = nft::render(plan);
  }
  const auto t2 = Clock::now();
  if (!patched) tx = first ? nft::replaceAll(desired, ourTables()) : nft::diff(installed.state, desired);
  const auto t3 = Clock::now();
  commitOrDie(writer, tx, "commit");
  const auto t4 = Clock::now();
  if (!patched) installed.state = std::move(desired);
  installed.plan = std::move(plan);
  return {msBetween(t0, t1), msBetween(t1, t2), msBetween(t2, t3),
          msBetween(t3, t4), tx.ops.size(),     elementsIn(tx)};
}

void printStages(const char* what, const std::vector<Stages>& runs) {
  auto pick = [&](auto field) {
    std::vector<double> v;
    for (const auto& r : runs) v.push_back(field(r));
    return median(v);
  };
  std::printf(
      "  %-26s median %8.1f ms  (plan %.1f, render %.1f, diff %.1f, commit %.1f ms; %zu ops, %zu "
      "elements)\n",
      what, pick([](const Stages& r) { return r.total(); }),
      pick([](const Stages& r) { return r.plan; }), pick([](const Stages& r) { return r.render; }),
      pick([](const Stages& r) { return r.diff; }), pick([](const Stages& r) { return r.commit; }),
      runs.front().ops, runs.front().elements);
  if (runs.size() > 5) return;
  std::string all;
  for (const auto& r : runs)
    all += (all.empty() ? "" : ", ") + std::to_string(static_cast<long>(r.total()));
  std::printf("  %-26s runs [%s] ms\n", "", all.c_str());
}

double fullApply(nft::NetlinkNftWriter& writer, const Shape& shape, int runs) {
  const Config config = makeConfig(shape);
  std::vector<Stages> results;
  for (int r = 0; r < runs; ++r) {
    for (const auto& t : ourTables()) dropTable(writer, t);
    Installed installed;
    results.push_back(applyConfig(writer, config, installed, true));
  }
  printStages(("full apply " + shape.label()).c_str(), results);
  std::vector<double> totals;
  for (const auto& r : results) totals.push_back(r.total());
  return median(totals);
}

// ---- baseline: nft -f with the same maps and chains ------------------------------------------

const nft::TableId kBaselineTable{nft::TableFamily::kInet, "apply_bench_nft"};

std::string hexMark(uint32_t mark) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", mark);
  return buf;
}

// directord's rule set as nft text: the services verdict map (-> class chain pick_<N>), the marks
// map, the backends map (100k elements at 10k x 10) and one class chain per modulus holding the
// only lookups (render.cc's shape). NAT rr/wrr plans, IPv4; the forward chain's counter sets are
// left out. Elements inline, as one writes such a file.
// (With one lookup per service chain instead, nft -f took 120 s at 10k x 10 here: the kernel
// walks the whole map for every rule that binds it.)
std::string nftText(const ForwardingPlan& plan) {
  std::string services, marks, backends;
  std::set<size_t> moduli;
  for (const auto& [id, sp] : plan.services) {
    std::string key = "tcp . " + sp.key.vip.str() + " . " + std::to_string(sp.key.port);
    services += services.empty() ? " " : ",\n    ";
    services += key + " : goto pick_" + std::to_string(sp.slots.size());
    marks += marks.empty() ? " " : ",\n    ";
    marks += key + " : " + hexMark(nft::serviceMark(id));
    for (size_t slot = 0; slot < sp.slots.size(); ++slot) {
      backends += backends.empty() ? " " : ",\n    ";
      backends += hexMark(nft::serviceMark(id)) + " . " + std::to_string(slot) + " : " +
                  sp.slots[slot].address.str() + " . " + std::to_string(sp.slots[slot].port);
    }
    moduli.insert(sp.slots.size());
  }
  std::string t = "table inet " + kBaselineTable.name + " {\n";
  t += "  map services4 {\n    type inet_proto . ipv4_addr . inet_service : verdict\n";
  t += "    elements = {" + services + " }\n  }\n";
  t += "  map marks4 {\n    type inet_proto . ipv4_addr . inet_service : mark\n";
  t += "    elements = {" + marks + " }\n  }\n";
  // typeof: nft needs the key's second field to be numgen's integer type for the lookup.
  t += "  map backends4 {\n    typeof ct mark . numgen inc mod 2 : ip daddr . tcp dport\n";
  t += "    elements = {" + backends + " }\n  }\n";
  t += "  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n"
       "    meta nfproto ipv4 meta l4proto . ip daddr . th dport vmap @services4\n  }\n";
  for (size_t m : moduli) {
    t += "  chain pick_" + std::to_string(m) +
         " {\n    ct mark set meta l4proto . ip daddr . th dport map @marks4\n"
         "    meta l4proto tcp dnat ip to ct mark . numgen inc mod " + std::to_string(m) +
         " map @backends4\n    drop\n  }\n";
  }
  t += "}\n";
  return t;
}

double nftFile(nft::NetlinkNftWriter& writer, const Shape& shape, int runs) {
  const Config config = makeConfig(shape);
  std::map<ServiceKey, uint32_t> ids;
  const std::string text = nftText(planOrDie(config, ids));
  for (const auto& t : ourTables()) dropTable(writer, t);  // same kernel state as directord's runs
  std::vector<double> times;
  for (int r = 0; r < runs; ++r) {
    dropTable(writer, kBaselineTable);
    const auto t0 = Clock::now();
    FILE* nft = popen("nft -f -", "w");
    if (nft == nullptr) die("popen nft -f -");
    const size_t written = std::fwrite(text.data(), 1, text.size(), nft);
    const int rc = pclose(nft);
    times.push_back(msBetween(t0, Clock::now()));
    if (written != text.size() || rc != 0) die("nft -f failed (rc " + std::to_string(rc) + ")");
  }
  dropTable(writer, kBaselineTable);
  std::string all;
  for (double v : times) all += (all.empty() ? "" : ", ") + std::to_string(static_cast<long>(v));
  const std::string what =
      "nft -f " + std::to_string(shape.services) + " x " + std::to_string(shape.reals);
  std::printf("  %-26s median %8.1f ms  (%.1f MB of text; runs [%s] ms)\n", what.c_str(),
              median(times), static_cast<double>(text.size()) / 1e6, all.c_str());
  return median(times);
}

// ---- one weight change on the full table -------------------------------------------------------

void printChanges(const std::string& what, const std::vector<Stages>& results) {
  std::vector<double> totals, commits;
  for (const auto& r : results) {
    totals.push_back(r.total());
    commits.push_back(r.commit);
  }
  std::printf("  %s\n", what.c_str());
  printStages("  stages", results);
  std::printf("  %-26s median %8.2f ms  p99 %.2f ms  (commit alone: median %.2f ms, p99 %.2f ms)\n",
              "  end to end", median(totals), percentile(totals, 99), median(commits),
              percentile(commits, 99));
}

// The event path, prototyped here for the health-check issue: plan, render and diff only the service that
// changed. The services map sends each service to a shared class chain (render.cc), so the
// prototype keeps what a real implementation would: every live class chain and how many services
// go to it; a class chain goes when its last service leaves.
struct OneService {
  nft::NftState installed;  // the service's objects + the base objects + every live class chain
  std::map<std::string, int> classUsers;
};

// The class chain a services-map element sends its service to ("" for drop or none).
std::string gotoTarget(const std::variant<std::monostate, nft::Bytes, nft::Verdict>& data) {
  const auto* v = std::get_if<nft::Verdict>(&data);
  return v != nullptr && v->code == nft::Verdict::Code::kGoto ? v->chain : std::string();
}

std::string serviceTarget(const nft::NftState& s, const ServicePlan& sp) {
  const auto& elements = s.tables.at(nft::inetTable()).elements;
  auto set = elements.find(nft::byFamily(nft::kServices, !sp.key.vip.isV4()));
  if (set == elements.end()) return {};
  auto it = set->second.find(nft::serviceKey(sp.key));
  return it == set->second.end() ? std::string() : gotoTarget(it->second);
}

const nft::ChainDef* findChain(const nft::NftState& s, const std::string& name) {
  const auto& chains = s.tables.at(nft::inetTable()).chains;
  auto it = chains.find(name);
  return it == chains.end() ? nullptr : &it->second;
}

Config onlyService(const Config& config, size_t index) {
  Config one;
  one.globals = config.globals;
  one.laddrGroups = config.laddrGroups;
  one.virtualServers.push_back(config.virtualServers[index]);
  return one;
}

OneService startOneService(const Config& config, size_t index, std::map<ServiceKey, uint32_t> ids,
                           const nft::NftState& full) {
  OneService o;
  o.installed = nft::render(planOrDie(onlyService(config, index), ids));
  const auto& fullTable = full.tables.at(nft::inetTable());
  const auto& fullChains = fullTable.chains;
  for (bool v6 : {false, true}) {
    auto set = fullTable.elements.find(nft::byFamily(nft::kServices, v6));
    if (set == fullTable.elements.end()) continue;
    for (const auto& [key, data] : set->second) {
      const std::string target = gotoTarget(data);
      if (!target.empty()) ++o.classUsers[target];
    }
  }
  auto& mine = o.installed.tables[nft::inetTable()].chains;
  for (const auto& [name, users] : o.classUsers) mine[name] = fullChains.at(name);
  return o;
}

Stages applyOneService(nft::NetlinkNftWriter& writer, const Config& config, size_t index,
                       std::map<ServiceKey, uint32_t> ids, OneService& o, std::string* txText) {
  const auto t0 = Clock::now();
  ForwardingPlan plan = planOrDie(onlyService(config, index), ids);
  const auto t1 = Clock::now();
  nft::NftState desired = nft::render(plan);
  const ServicePlan& sp = plan.services.begin()->second;
  const std::string from = serviceTarget(o.installed, sp), to = serviceTarget(desired, sp);
  if (from != to) {
    if (!from.empty()) --o.classUsers[from];
    if (!to.empty()) ++o.classUsers[to];
  }
  auto& wanted = desired.tables[nft::inetTable()].chains;
  for (const auto& [name, users] : o.classUsers) {
    if (users > 0 && wanted.count(name) == 0) wanted[name] = *findChain(o.installed, name);
  }
  std::erase_if(o.classUsers, [](const auto& kv) { return kv.second <= 0; });
  const auto t2 = Clock::now();
  nft::Transaction tx = nft::diff(o.installed, desired);
  const auto t3 = Clock::now();
  commitOrDie(writer, tx, "commit");
  const auto t4 = Clock::now();
  if (txText != nullptr) *txText = nft::toText(tx);
  o.installed = std::move(desired);
  return {msBetween(t0, t1), msBetween(t1, t2), msBetween(t2, t3),
          msBetween(t3, t4), tx.ops.size(),     elementsIn(tx)};
}

void weightChanges(nft::NetlinkNftWriter& writer, Shape shape, int changes) {
  // wrr: rr ignores weights other than 0, so its diff for 1 <-> 2 would be empty.
  shape.scheduler = "wrr";
  Config config = makeConfig(shape);
  for (const auto& t : ourTables()) dropTable(writer, t);
  Installed installed;
  applyConfig(writer, config, installed, true);
  const size_t target = shape.services / 2;
  auto& reals = config.virtualServers[target].reals;

  // 1. What directord does today (Node::reload): the whole plan, render and diff.
  std::vector<Stages> results;
  std::string fullTx;
  for (int i = 0; i < changes; ++i) {
    reals[0].weight = i % 2 == 0 ? 2 : 1;
    if (i == 0) {  // the transaction, to check the prototype below against it
      auto ids = installed.ids;
      fullTx = nft::toText(nft::diff(nft::render(installed.plan), nft::render(planOrDie(config, ids))));
    }
    results.push_back(applyConfig(writer, config, installed, false));
  }
  printChanges("1. weight change " + shape.label() + " (real 0 of service " +
                   std::to_string(target) + ", 1 <-> 2, " + std::to_string(changes) +
                   " changes): as directord reloads: full plan, changed services patched",
               results);

  // 2. The same changes, planned, rendered and diffed for the changed service only.
  reals[0].weight = 1;
  {
    auto ids = installed.ids;
    Installed settle{ids, installed.state, installed.plan};
    applyConfig(writer, config, settle, false);  // weight 1 in the kernel, whatever `changes` was
    installed.state = std::move(settle.state);
  }
  OneService one = startOneService(config, target, installed.ids, installed.state);
  results.clear();
  for (int i = 0; i < changes; ++i) {
    reals[0].weight = i % 2 == 0 ? 2 : 1;
    std::string text;
    results.push_back(
        applyOneService(writer, config, target, installed.ids, one, i == 0 ? &text : nullptr));
    if (i == 0 && text != fullTx)
      die("prototype: its transaction differs from the full diff's:\n" + text + "\nvs\n" + fullTx);
  }
  printChanges(
      "2. same changes, prototype fix: plan/render/diff the changed service only (same "
      "transaction)",
      results);

  // 3. A weight change that keeps the slot count (weights 2,1 <-> 1,2: 11 slots either way): the
  //    rules stay, only backends4 elements change. The kernel's floor for a weight change.
  reals[0].weight = 2;
  reals[1].weight = 1;
  applyOneService(writer, config, target, installed.ids, one, nullptr);
  results.clear();
  for (int i = 0; i < changes; ++i) {
    reals[0].weight = i % 2 == 0 ? 1 : 2;
    reals[1].weight = i % 2 == 0 ? 2 : 1;
    results.push_back(applyOneService(writer, config, target, installed.ids, one, nullptr));
  }
  printChanges("3. weights 2,1 <-> 1,2 (slot count kept: elements only), prototype fix", results);

  // 4. As 2., with the 11-slot class chain kept alive by another service: no chain is created or
  //    deleted, only the service's map element is re-pointed.
  {
    auto ids = installed.ids;
    ForwardingPlan left = planOrDie(config, ids);  // what 3. left in the kernel
    Installed kernel{ids, nft::render(left), left};
    reals[0].weight = 1;
    reals[1].weight = 1;
    config.virtualServers[target + 1].reals[0].weight = 2;
    applyConfig(writer, config, kernel, false);
    installed.state = std::move(kernel.state);
  }
  one = startOneService(config, target, installed.ids, installed.state);
  results.clear();
  for (int i = 0; i < changes; ++i) {
    reals[0].weight = i % 2 == 0 ? 2 : 1;
    results.push_back(applyOneService(writer, config, target, installed.ids, one, nullptr));
  }
  printChanges("4. as 2., and the 11-slot class chain kept by another service", results);
  for (const auto& t : ourTables()) dropTable(writer, t);
}

struct Options {
  std::vector<uint32_t> sizes{1000, 10000};
  uint32_t reals = 10;
  int runs = 3;
  int changes = 60;
  bool baseline = true;
  bool variants = true;
};

Options parseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) die(std::string(a) + " needs a value");
      return argv[++i];
    };
    if (a == "--sizes") {
      o.sizes.clear();
      std::string v = next();
      for (size_t p = 0; p < v.size();) {
        size_t q = v.find(',', p);
        o.sizes.push_back(static_cast<uint32_t>(std::stoul(v.substr(p, q - p))));
        p = q == std::string::npos ? v.size() : q + 1;
      }
    } else if (a == "--reals") {
      o.reals = static_cast<uint32_t>(std::stoul(next()));
    } else if (a == "--runs") {
      o.runs = std::stoi(next());
    } else if (a == "--changes") {
      o.changes = std::stoi(next());
    } else if (a == "--no-baseline") {
      o.baseline = false;
    } else if (a == "--no-variants") {
      o.variants = false;
    } else {
      die("usage: apply_bench [--sizes 1000,10000] [--reals 10] [--runs 3] [--changes 60] "
          "[--no-baseline] [--no-variants]");
    }
  }
  if (o.sizes.empty() || o.runs < 1 || o.changes < 2 || o.reals < 1) die("bad options");
  return o;
}

// directorctl --set at N services (Node::setTimeoutsNow): every service's timeouts move between
// IPVS's defaults and 100/10/5, so every services4 element is re-pointed to new class chains
// with new ct timeout objects; backends and marks stay.
void timeoutChanges(nft::NetlinkNftWriter& writer, const Shape& shape, int changes) {
  Config config = makeConfig(shape);
  for (const auto& t : ourTables()) dropTable(writer, t);
  Installed installed;
  applyConfig(writer, config, installed, true);
  std::vector<Stages> results;
  for (int i = 0; i < changes; ++i) {
    const auto t0 = Clock::now();
    ForwardingPlan after = installed.plan;
    const ConnTimeouts next = i % 2 == 0 ? ConnTimeouts{100, 10, 5} : ConnTimeouts{};
    for (auto& [id, sp] : after.services) sp.timeouts = next;
    const auto t1 = Clock::now();
    auto changed = nft::changedServices(installed.plan, after);
    auto tx = nft::patchServices(installed.state, installed.plan, after, changed);
    const auto t2 = Clock::now();
    commitOrDie(writer, tx, "timeout change");
    const auto t3 = Clock::now();
    installed.plan = std::move(after);
    results.push_back(Stages{msBetween(t0, t1), 0, msBetween(t1, t2), msBetween(t2, t3),
                             tx.ops.size(), elementsIn(tx)});
  }
  printChanges("timeout change " + shape.label() + " (" + std::to_string(changes) +
                   " changes, default <-> 100/10/5): every service re-pointed, " +
                   std::to_string(results.back().ops) + " ops, " +
                   std::to_string(results.back().elements) + " elements",
               results);
}

int run(int argc, char** argv) {
  const Options opt = parseOptions(argc, argv);
  refuseHostNamespace();
  auto writer = nft::NetlinkNftWriter::open();
  if (!writer) die(writer.error());
  nft::NetlinkNftWriter& w = **writer;
  const uint32_t largest = *std::max_element(opt.sizes.begin(), opt.sizes.end());

  std::printf(
      "== apply_bench: directord's full apply vs nft -f, same namespace, same run (median of %d)\n",
      opt.runs);
  for (uint32_t n : opt.sizes) {
    const Shape shape{n, opt.reals};
    const double ours = fullApply(w, shape, opt.runs);
    if (n == largest) {
      std::printf("  %-26s VmHWM %s, VmRSS %s (after the %u-service applies)\n", "memory",
                  statusField("VmHWM:").c_str(), statusField("VmRSS:").c_str(), n);
    }
    if (opt.baseline) {
      const double base = nftFile(w, shape, opt.runs);
      std::printf("  %-26s directord / nft -f = %.3f\n", "ratio", base > 0 ? ours / base : 0);
    }
  }
  if (opt.variants) {
    std::printf("== variants at %u services (1 run each)\n", largest);
    fullApply(w, Shape{largest, opt.reals, ForwardMode::kFullNat}, 1);
    fullApply(w, Shape{largest, opt.reals, ForwardMode::kNat, "mh", 13}, 1);
  }
  std::printf("== lvs_timeouts change (directorctl --set) reaching the kernel\n");
  timeoutChanges(w, Shape{largest, opt.reals}, std::min(opt.changes, 10));
  std::printf("== weight change reaching the kernel (target: median <= 5 ms)\n");
  weightChanges(w, Shape{largest, opt.reals}, opt.changes);
  return 0;
}

}  // namespace
}  // namespace ha::director::bench

int main(int argc, char** argv) { return ha::director::bench::run(argc, argv); }
