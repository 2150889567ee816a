// bench/sync.sh part A: inserts N synthetic FULLNAT conntrack entries for one service into the
// current namespace's table and KEEPS them (unlike tests/netns_bin/ct_sync_tool's `bench`, which
// removes them again). Run inside a lab namespace.
//
//   ct_fill N VIP VPORT LADDR MARK(hex) REAL...
//
// Entry i: client 10.<1 + i/60000 / 256>.<...>:(1024 + i%60000) -> VIP:VPORT, replied by
// REAL[i % #REAL]:VPORT to LADDR:(1024 + i / #REAL) (every reply tuple distinct), status
// SEEN_REPLY|ASSURED, TCP ESTABLISHED, timeout 1200 s, the given ct mark. Prints the apply report
// and the insert rate; exit 0 when every entry went in.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/conntrack/netlink_conntrack.h"

int main(int argc, char** argv) {
  using ha::IpAddress;
  using namespace ha::conntrack;
  if (argc < 7) {
    std::fprintf(stderr, "usage: %s N VIP VPORT LADDR MARK REAL...\n", argv[0]);
    return 2;
  }
  const size_t n = std::strtoul(argv[1], nullptr, 10);
  const auto vip = IpAddress::parse(argv[2]);
  const auto vport = static_cast<uint16_t>(std::atoi(argv[3]));
  const auto laddr = IpAddress::parse(argv[4]);
  const auto mark = static_cast<uint32_t>(std::strtoul(argv[5], nullptr, 16));
  std::vector<IpAddress> reals;
  for (int i = 6; i < argc; ++i) {
    auto r = IpAddress::parse(argv[i]);
    if (!r) {
      std::fprintf(stderr, "bad real %s\n", argv[i]);
      return 2;
    }
    reals.push_back(*r);
  }
  if (!vip || !laddr || n / reals.size() + 1024 > 65535) {
    std::fprintf(stderr, "bad VIP/LADDR or too many entries for one local address\n");
    return 2;
  }
  auto ct = NetlinkConntrack::open();
  if (!ct) {
    std::fprintf(stderr, "%s\n", ct.error().c_str());
    return 2;
  }
  std::vector<FlowUpdate> ups;
  ups.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    FlowEntry e;
    e.l4proto = kProtoTcp;
    const auto cport = static_cast<uint16_t>(1024 + i % 60000);
    const auto host = static_cast<uint32_t>(i / 60000);
    const auto lport = static_cast<uint16_t>(1024 + i / reals.size());
    e.original = {IpAddress::v4(0x0a010001 + host), *vip, cport, vport};
    e.reply = {reals[i % reals.size()], *laddr, vport, lport};
    e.status = kSyncedStatusBits;
    e.tcpState = 3;  // ESTABLISHED
    e.timeoutSeconds = 1200;
    e.mark = mark;
    ups.push_back(FlowUpdate{FlowOp::kUpsert, e});
  }
  const auto t0 = std::chrono::steady_clock::now();
  const ApplyReport r = ct.value()->apply(ups);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("created=%llu updated=%llu failed=%llu%s%s\n", static_cast<unsigned long long>(r.created),
              static_cast<unsigned long long>(r.updated), static_cast<unsigned long long>(r.failed),
              r.firstError.empty() ? "" : " firstError: ", r.firstError.c_str());
  std::printf("insert: %zu entries in %.3f s = %.0f entries/s\n", n, secs, static_cast<double>(n) / secs);
  return r.failed == 0 ? 0 : 1;
}
