// The SIGUSR1 / SIGUSR2 dump text: the VRRP part reads back through the rules keepalived-exporter
// parses keepalived.data and keepalived.stats with (re-stated in this file), the LVS and sync
// parts list what the snapshots hold, and a thread that did not answer is said, not skipped.
#include "director/node/keepalived_dump.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace ha::director {
namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

vrrp::RouterSnapshot twoInstances() {
  vrrp::RouterSnapshot snap;
  auto& a = snap.instances.emplace_back();
  a.name = "VI_1";
  a.interface = "lan0";
  a.vrid = 51;
  a.state = vrrp::State::kMaster;
  a.basePriority = 150;
  a.effectivePriority = 150;
  a.advertInterval = std::chrono::seconds(1);
  a.masterAdverInterval = std::chrono::seconds(1);
  a.source = ip("198.51.100.2");
  a.master = ip("198.51.100.2");
  a.syncGroup = "VG_1";
  a.transitions = 2;
  a.lastTransition = "BACKUP -> MASTER: master down timer expired";
  a.lastTransitionAt = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  a.addresses = {"192.0.2.100/32 dev lan0", "fd00:2::100/128 dev lan0"};
  a.counters.advertsSent = 1234;
  a.counters.advertsReceived = 7;
  a.counters.priorityZeroSent = 1;
  a.counters.dropped[static_cast<size_t>(vrrp::DropReason::kBadTtl)] = 3;
  a.counters.dropped[static_cast<size_t>(vrrp::DropReason::kTooShort)] = 1;
  a.counters.dropped[static_cast<size_t>(vrrp::DropReason::kTooLong)] = 2;
  a.counters.dropped[static_cast<size_t>(vrrp::DropReason::kAuthMismatch)] = 4;
  auto& b = snap.instances.emplace_back();
  b.name = "VI_2";
  b.interface = "lan1";
  b.vrid = 52;
  b.state = vrrp::State::kBackup;
  b.source = ip("198.51.100.2");
  b.syncGroup = "VG_1";
  b.addresses = {"192.0.2.101/32 dev lan1"};
  return snap;
}

struct ParsedInstance {
  std::string state;
  std::string interface;
  std::string vrid;
  std::vector<std::pair<std::string, std::string>> vips;  // address, device
};

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(' ');
  const auto e = s.find_last_not_of(' ');
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// keepalived-exporter's ParseVRRPData rules: " VRRP Instance = NAME" opens an instance; a line
// starting with three spaces is "key = value" (or "key: value"); five spaces continue the last
// key's list; any other line closes the instance. VIPs are "ADDR dev IFACE ...".
std::map<std::string, ParsedInstance> parseData(const std::string& text) {
  std::map<std::string, ParsedInstance> out;
  std::istringstream in(text);
  std::string line, instance, key, value;
  while (std::getline(in, line)) {
    if (line.rfind(" VRRP Instance", 0) == 0 && line.find('=') != std::string::npos) {
      instance = trim(line.substr(line.find('=') + 1));
      out[instance];
    } else if (line.rfind("   ", 0) == 0 && !instance.empty()) {
      if (line.rfind("     ", 0) == 0) {
        value = trim(line);
      } else {
        auto sep = line.find('=');
        if (sep == std::string::npos) sep = line.find(':');
        if (sep == std::string::npos) continue;
        key = trim(line.substr(0, sep));
        value = trim(line.substr(sep + 1));
      }
      if (key.rfind("Virtual IP (", 0) == 0 && !value.empty()) {
        std::istringstream words(value);
        std::string address, dev, iface;
        words >> address >> dev >> iface;
        out[instance].vips.emplace_back(address, iface);
      }
      if (key == "State") out[instance].state = value;
      if (key == "Interface") out[instance].interface = value;
      if (key == "Virtual Router ID") out[instance].vrid = value;
    } else {
      instance.clear();
    }
  }
  return out;
}

DumpInputs inputs() {
  DirectorSnapshot director;
  auto& service = director.services.emplace_back();
  service.plan.key = {Protocol::kTcp, ip("192.0.2.100"), 80};
  service.plan.scheduler = "rr";
  service.plan.mode = ForwardMode::kNat;
  auto& up = service.reals.emplace_back();
  up.real.endpoint = {ip("198.51.100.11"), 80};
  up.real.inRotation = true;
  up.activeConns = 3;
  auto& down = service.reals.emplace_back();
  down.real.endpoint = {ip("198.51.100.12"), 80};
  down.real.healthy = false;
  down.real.healthReason = "TCP_CHECK 198.51.100.12:80: connection refused";
  down.real.weight = 0;
  sync::SyncSnapshot sync;
  sync.enabled = true;
  sync.node = "dir1";
  sync.ready = true;
  auto& peer = sync.peers.emplace_back();
  peer.name = "dir2";
  peer.address = "198.51.100.3:7800";
  peer.outgoingUp = true;
  peer.sent = 10;
  peer.acked = 9;
  return {director, twoInstances(), sync,
          std::chrono::system_clock::time_point(std::chrono::seconds(1700000100))};
}

// Every instance is found with its state, interface, VRID and each VIP with its device, as
// keepalived-exporter reads them; the LVS section that follows does not leak into the last one.
TEST(KeepalivedDump, VrrpTopologyParsesAsKeepalivedExporterReadsIt) {
  auto parsed = parseData(dataDumpText(inputs()));
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed["VI_1"].state, "MASTER");
  EXPECT_EQ(parsed["VI_1"].interface, "lan0");
  EXPECT_EQ(parsed["VI_1"].vrid, "51");
  EXPECT_EQ(parsed["VI_1"].vips, (std::vector<std::pair<std::string, std::string>>{
                                     {"192.0.2.100/32", "lan0"}, {"fd00:2::100/128", "lan0"}}));
  EXPECT_EQ(parsed["VI_2"].state, "BACKUP");
  EXPECT_EQ(parsed["VI_2"].vips.size(), 1u);
}

// The data dump carries the sections in keepalived's order and style, with the reals' health and
// the sync peers.
TEST(KeepalivedDump, DataDumpListsServicesRealsAndSync) {
  const auto text = dataDumpText(inputs());
  for (const char* expected :
       {"------< VRRP Topology >------\n",
        "------< VRRP Sync groups >------\n VRRP Sync Group = VG_1, MASTER\n",
        "   monitor = VI_1\n   monitor = VI_2\n", "------< LVS Topology >------\n",
        " Virtual Server = TCP 192.0.2.100:80\n   lb_algo = rr\n   lb_kind = NAT\n",
        ("   Real Server = 198.51.100.11:80 weight 1\n     Alive = yes\n     ActiveConn = 3, "
         "InActConn = 0"),
        ("   Real Server = 198.51.100.12:80 weight 0 (configured 1)\n     Alive = no, not in "
         "rotation\n"
         "     Reason = TCP_CHECK 198.51.100.12:80: connection refused\n"),
        "------< Connection sync >------\n Connection sync = dir1\n", " Sync peer = dir2\n",
        "   Sent = 10, acked = 9,",
        "   Last transition = 1700000000.000000 (Tue Nov 14 22:13:20.000000 2023 UTC)\n"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << "missing: " << expected << "\nin:\n"
                                                      << text;
  }
}

// A thread that did not answer is named in its section; the others are still written.
TEST(KeepalivedDump, UnansweredThreadIsSaid) {
  auto in = inputs();
  in.sync = Error{"the sync thread did not take the request within 4000 ms"};
  const auto text = dataDumpText(in);
  EXPECT_NE(
      text.find("------< Connection sync >------\n Not answered = the sync thread did not take"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find(" Virtual Server = TCP 192.0.2.100:80"), std::string::npos);
  EXPECT_EQ(statsDumpText(Error{"VRRP thread stuck"}), "Not answered: VRRP thread stuck\n");
}

// keepalived.stats: keepalived's sections and keys, every value an integer (keepalived-exporter
// refuses the file otherwise); length errors are too short + too long.
TEST(KeepalivedDump, StatsDumpHasKeepalivedsLayout) {
  const auto text = statsDumpText(twoInstances());
  const std::string first =
      "VRRP Instance: VI_1\n"
      "  Advertisements:\n"
      "    Received: 7\n"
      "    Sent: 1234\n"
      "  Transitions: 2\n"
      "  Send errors: 0\n"
      "  Packet Errors:\n"
      "    Length: 3\n"
      "    TTL: 3\n"
      "    Invalid Type: 0\n"
      "    Advertisement Interval: 0\n"
      "    Address List: 0\n"
      "    Checksum: 0\n"
      "    Version: 0\n"
      "    Not Unicast Peer: 0\n"
      "  Authentication Errors:\n"
      "    Invalid Type: 0\n"
      "    Type Mismatch: 0\n"
      "    Failure: 4\n"
      "  Priority Zero:\n"
      "    Received: 0\n"
      "    Sent: 1\n"
      "VRRP Instance: VI_2\n";
  EXPECT_EQ(text.substr(0, first.size()), first);
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VRRP Instance: ", 0) == 0 || line.back() == ':') continue;
    const auto value = trim(line.substr(line.find(':') + 1));
    EXPECT_FALSE(value.empty()) << line;
    EXPECT_EQ(value.find_first_not_of("0123456789"), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace ha::director
