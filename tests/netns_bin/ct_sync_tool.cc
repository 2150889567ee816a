// NetlinkConntrack from the command line, for tests/netns/test_sync_conntrack.sh (run inside a lab
// namespace: it reads and writes that namespace's conntrack table).
//
//   ct_sync_tool dump [--raw]        our flows (mark tag 0xd1), describe() or the raw line format
//   ct_sync_tool apply FILE          raw lines -> upserts; prints the ApplyReport
//   ct_sync_tool create FILE         raw lines -> create-only writes (an existing entry: exists)
//   ct_sync_tool present FILE        raw lines -> lookups by original tuple: present=N absent=N
//   ct_sync_tool remove FILE         raw lines -> removes
//   ct_sync_tool reused-tuple FILE   creates the entries, dumps their kernel ids, re-creates them
//                                    under the same original tuples (reply port + 1, as if a live
//                                    real took the tuple), then removeExactly() with the old ids
//                                    (must spare them) and with the new ones (must delete them)
//   ct_sync_tool events SECONDS      prints events of our flows as they come
//   ct_sync_tool apply-events FILE   applies through port A while port B listens too; prints how
//                                    many events each read (A must skip its own writes)
//   ct_sync_tool bench N             N synthetic FULLNAT entries: insert rate, then removal
//   ct_sync_tool fill N / unfill N   N foreign entries (mark 0: not ours; ESTABLISHED, ASSURED, so
//                                    the kernel cannot early-drop them; 600 s) kept / removed
//                                    again: a conntrack table filled by someone else
//                                    (test_conntrack_full.sh)
//
// Raw line: proto osrc osport odst odport rsrc rsport rdst rdport status tcpstate timeout mark(hex)
#include <poll.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/conntrack/netlink_conntrack.h"

namespace {

using ha::IpAddress;
using ha::conntrack::ApplyReport;
using ha::conntrack::FlowEntry;
using ha::conntrack::FlowKey;
using ha::conntrack::FlowOp;
using ha::conntrack::FlowUpdate;
using ha::conntrack::KernelEntry;
using ha::conntrack::NetlinkConntrack;

std::string raw(const FlowEntry& e) {
  std::ostringstream o;
  o << unsigned{e.l4proto} << ' ' << e.original.src.str() << ' ' << e.original.srcPort << ' '
    << e.original.dst.str() << ' ' << e.original.dstPort << ' ' << e.reply.src.str() << ' '
    << e.reply.srcPort << ' ' << e.reply.dst.str() << ' ' << e.reply.dstPort << ' ' << e.status
    << ' ' << unsigned{e.tcpState} << ' ' << e.timeoutSeconds << ' ' << std::hex << e.mark;
  return o.str();
}

bool parseRaw(const std::string& line, FlowEntry& e) {
  std::istringstream in(line);
  unsigned proto = 0, sp = 0, dp = 0, rsp = 0, rdp = 0, state = 0;
  std::string os, od, rs, rd;
  in >> proto >> os >> sp >> od >> dp >> rs >> rsp >> rd >> rdp >> e.status >> state >> e.timeoutSeconds >>
      std::hex >> e.mark;
  auto a = IpAddress::parse(os), b = IpAddress::parse(od), c = IpAddress::parse(rs), d = IpAddress::parse(rd);
  if (!in || !a || !b || !c || !d) return false;
  e.l4proto = static_cast<uint8_t>(proto);
  e.original = {*a, *b, static_cast<uint16_t>(sp), static_cast<uint16_t>(dp)};
  e.reply = {*c, *d, static_cast<uint16_t>(rsp), static_cast<uint16_t>(rdp)};
  e.tcpState = static_cast<uint8_t>(state);
  return true;
}

std::vector<FlowUpdate> readFile(const char* path, FlowOp op) {
  std::vector<FlowUpdate> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    FlowUpdate u{op, {}};
    if (parseRaw(line, u.entry)) out.push_back(u);
    else std::cerr << "skipped unparsable line: " << line << "\n";
  }
  return out;
}

void printReport(const ApplyReport& r) {
  std::cout << "created=" << r.created << " updated=" << r.updated << " removed=" << r.removed
            << " missing=" << r.missing << " failed=" << r.failed << " exists=" << r.exists << "\n";
  if (!r.firstError.empty()) std::cout << "firstError: " << r.firstError << "\n";
}

std::unique_ptr<NetlinkConntrack> openOrDie() {
  auto ct = NetlinkConntrack::open();
  if (!ct) {
    std::cerr << ct.error() << "\n";
    std::exit(2);
  }
  return std::move(ct.value());
}

size_t drain(NetlinkConntrack& ct, bool print) {
  std::vector<FlowUpdate> events;
  auto read = ct.readEvents(events);
  if (!read) {
    std::cerr << read.error() << "\n";
    return 0;
  }
  if (read->overrun) std::cout << "overrun\n";
  if (print) {
    for (const auto& u : events) std::cout << (u.op == FlowOp::kUpsert ? "upsert " : "remove ") << describe(u.entry) << "\n";
  }
  return events.size();
}

int bench(size_t n) {
  auto ct = openOrDie();
  std::vector<FlowUpdate> ups;
  ups.reserve(n);
  const auto vip = *IpAddress::parse("192.0.2.250");
  for (size_t i = 0; i < n; ++i) {
    FlowEntry e;
    e.l4proto = ha::conntrack::kProtoTcp;
    const auto port = static_cast<uint16_t>(1024 + i % 60000);
    const auto host = static_cast<uint32_t>(i / 60000);
    e.original = {IpAddress::v4(0x0a000001 + host), vip, port, 80};                                 // 10.0.0.x
    e.reply = {IpAddress::v4(0x0ac80001 + host % 3), IpAddress::v4(0x0ac90001 + host), 80, port};  // real -> laddr
    e.status = ha::conntrack::kSyncedStatusBits;
    e.tcpState = 3;  // ESTABLISHED
    e.timeoutSeconds = 600;
    e.mark = 0xd10003e7;
    ups.push_back(FlowUpdate{FlowOp::kUpsert, e});
  }
  const auto t0 = std::chrono::steady_clock::now();
  ApplyReport r = ct->apply(ups);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  printReport(r);
  std::printf("insert: %zu entries in %.3f s = %.0f entries/s\n", n, secs, static_cast<double>(n) / secs);
  auto dumped = ct->dump();
  if (dumped) std::printf("dump: %zu entries\n", dumped->size());
  const auto t1 = std::chrono::steady_clock::now();
  ApplyReport again = ct->apply(ups);
  const double usecs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  std::printf("re-apply (updates): updated=%llu failed=%llu in %.3f s = %.0f entries/s\n",
              static_cast<unsigned long long>(again.updated), static_cast<unsigned long long>(again.failed), usecs,
              static_cast<double>(n) / usecs);
  for (auto& u : ups) u.op = FlowOp::kRemove;
  const auto t2 = std::chrono::steady_clock::now();
  ApplyReport rm = ct->apply(ups);
  const double rsecs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t2).count();
  std::printf("remove: removed=%llu failed=%llu in %.3f s = %.0f entries/s\n",
              static_cast<unsigned long long>(rm.removed), static_cast<unsigned long long>(rm.failed), rsecs,
              static_cast<double>(n) / rsecs);
  return r.failed == 0 && rm.failed == 0 ? 0 : 1;
}

// Entry i of `fill`: 10.100.<i / 60000>.1:(1024 + i % 60000) -> 192.0.2.251:80, replied by
// 10.201.<i / 60000>.1. Deterministic, so `unfill N` removes exactly what `fill N` added.
std::vector<FlowUpdate> fillEntries(size_t n, FlowOp op) {
  std::vector<FlowUpdate> out;
  out.reserve(n);
  const auto dst = *IpAddress::parse("192.0.2.251");
  for (size_t i = 0; i < n; ++i) {
    FlowEntry e;
    e.l4proto = ha::conntrack::kProtoTcp;
    const auto port = static_cast<uint16_t>(1024 + i % 60000);
    const auto host = static_cast<uint32_t>(i / 60000) << 8;
    e.original = {IpAddress::v4(0x0a640001 + host), dst, port, 80};
    e.reply = {IpAddress::v4(0x0ac90001 + host), IpAddress::v4(0x0a640001 + host), 80, port};
    e.status = ha::conntrack::kSyncedStatusBits;
    e.tcpState = 3;  // ESTABLISHED
    e.timeoutSeconds = 600;
    e.mark = 0;
    out.push_back(FlowUpdate{op, e});
  }
  return out;
}

int fill(size_t n, FlowOp op) {
  auto ct = openOrDie();
  const auto t0 = std::chrono::steady_clock::now();
  ApplyReport r = ct->apply(fillEntries(n, op));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  printReport(r);
  std::printf("%s %zu entries in %.3f s\n", op == FlowOp::kUpsert ? "fill" : "unfill", n, secs);
  return r.failed == 0 ? 0 : 1;
}

// The dumped entries (with kernel ids) whose key is one of `flows`.
std::vector<KernelEntry> dumpedOf(NetlinkConntrack& ct, const std::vector<FlowUpdate>& flows) {
  std::set<FlowKey> keys;
  for (const FlowUpdate& u : flows) keys.insert(u.entry.key());
  std::vector<KernelEntry> out;
  auto dumped = ct.dumpWithIds();
  if (!dumped)
    std::cerr << dumped.error() << "\n";
  else
    for (const KernelEntry& e : *dumped)
      if (keys.count(e.flow.key()) != 0) out.push_back(e);
  return out;
}

int reusedTuple(const char* path) {
  auto ct = openOrDie();
  std::vector<FlowUpdate> first = readFile(path, FlowOp::kUpsert);
  if (ct->apply(first).failed != 0) return 1;
  const std::vector<KernelEntry> stale = dumpedOf(*ct, first);
  size_t withId = 0;
  for (const KernelEntry& e : stale) withId += e.id ? 1 : 0;
  std::vector<FlowUpdate> gone = first;
  for (FlowUpdate& u : gone) u.op = FlowOp::kRemove;
  std::vector<FlowUpdate> second = first;
  for (FlowUpdate& u : second) ++u.entry.reply.srcPort;
  if (ct->apply(gone).failed != 0 || ct->apply(second).failed != 0) return 1;
  const ApplyReport spared = ct->removeExactly(stale);
  std::vector<FlowEntry> entries;
  for (const FlowUpdate& u : second) entries.push_back(u.entry);
  size_t present = 0;
  for (bool p : ct->present(entries)) present += p ? 1 : 0;
  const ApplyReport fresh = ct->removeExactly(dumpedOf(*ct, second));
  std::cout << "dumped=" << stale.size() << " with_id=" << withId
            << " stale removed=" << spared.removed << " missing=" << spared.missing
            << " failed=" << spared.failed << " present=" << present
            << " fresh removed=" << fresh.removed << " failed=" << fresh.failed << "\n";
  return spared.failed == 0 && fresh.failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "dump") {
    auto ct = openOrDie();
    auto entries = ct->dump();
    if (!entries) {
      std::cerr << entries.error() << "\n";
      return 1;
    }
    const bool asRaw = argc > 2 && std::string(argv[2]) == "--raw";
    for (const auto& e : *entries) std::cout << (asRaw ? raw(e) : describe(e) + " mark " + raw(e).substr(raw(e).rfind(' ') + 1)) << "\n";
    return 0;
  }
  if ((cmd == "apply" || cmd == "remove" || cmd == "create") && argc > 2) {
    auto ct = openOrDie();
    const FlowOp op = cmd == "apply" ? FlowOp::kUpsert : cmd == "create" ? FlowOp::kCreate : FlowOp::kRemove;
    ApplyReport r = ct->apply(readFile(argv[2], op));
    printReport(r);
    return r.failed == 0 ? 0 : 1;
  }
  if (cmd == "reused-tuple" && argc > 2) return reusedTuple(argv[2]);
  if (cmd == "present" && argc > 2) {
    auto ct = openOrDie();
    std::vector<FlowEntry> entries;
    for (const FlowUpdate& u : readFile(argv[2], FlowOp::kUpsert)) entries.push_back(u.entry);
    size_t present = 0;
    for (bool p : ct->present(entries)) present += p ? 1 : 0;
    std::cout << "present=" << present << " absent=" << entries.size() - present << "\n";
    return 0;
  }
  if (cmd == "apply-events" && argc > 2) {
    auto a = openOrDie();
    auto b = openOrDie();
    ApplyReport r = a->apply(readFile(argv[2], FlowOp::kUpsert));
    printReport(r);
    std::cout << "events_own=" << drain(*a, true) << " events_other=" << drain(*b, false) << "\n";
    return r.failed == 0 ? 0 : 1;
  }
  if (cmd == "events" && argc > 2) {
    auto ct = openOrDie();
    std::cout << "kernel_filter=" << (ct->kernelEventFilter() ? "yes" : "no") << std::endl;
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(std::atof(argv[2]));
    while (std::chrono::steady_clock::now() < until) {
      pollfd pfd{ct->eventFd(), POLLIN, 0};
      if (poll(&pfd, 1, 100) > 0) drain(*ct, true);
      std::cout.flush();
    }
    return 0;
  }
  if (cmd == "bench" && argc > 2) return bench(std::strtoul(argv[2], nullptr, 10));
  if ((cmd == "fill" || cmd == "unfill") && argc > 2) {
    return fill(std::strtoul(argv[2], nullptr, 10), cmd == "fill" ? FlowOp::kUpsert : FlowOp::kRemove);
  }
  std::cerr << "usage: ct_sync_tool dump [--raw] | apply FILE | create FILE | present FILE | "
               "remove FILE | reused-tuple FILE"
               " | apply-events FILE"
               " | events SECONDS | bench N | fill N | unfill N\n";
  return 2;
}
