// The node and the eBPF datapath (TUN, client_address toa): fed from the same plan in the same
// apply, before nftables; a refused program changes nothing; health flips reach it.
#include <cstring>

#include "director/bpf/abi.h"
#include "tests/unit/director/node/node_harness.h"

namespace ha::director::test {
namespace {

constexpr const char* kNatOnly = R"(
static_ipaddress {
    192.0.2.50/32 dev lan0
}
virtual_server 192.0.2.60 80 {
    lb_algo rr
    lb_kind NAT
    real_server 198.51.100.11 80
}
)";

constexpr const char* kWithTun = R"(
static_ipaddress {
    192.0.2.50/32 dev lan0
}
virtual_server 192.0.2.60 80 {
    lb_algo rr
    lb_kind NAT
    real_server 198.51.100.11 80
}
virtual_server 192.0.2.50 80 {
    lb_algo mh
    mh_table_size 7
    lb_kind TUN
    real_server 203.0.113.11 80 {
        TCP_CHECK {
        }
    }
    real_server 203.0.113.12 80 {
        TCP_CHECK {
        }
    }
}
)";

class NodeDatapathTest : public NodeHarness {
 protected:
  // The reals of the TUN slot table in the fake datapath.
  std::set<std::string> tunReals() {
    std::set<std::string> out;
    auto map = datapath_->installed.maps.find(bpf::kSlotsMap);
    if (map == datapath_->installed.maps.end()) return out;
    for (const auto& [key, value] : map->second) {
      dd_real real{};
      std::memcpy(&real, value.data(), sizeof real);
      char text[16];
      std::snprintf(text, sizeof text, "%u.%u.%u.%u", real.addr[0], real.addr[1], real.addr[2],
                    real.addr[3]);
      out.insert(text);
    }
    return out;
  }
  size_t nftElementsNaming(const char* vip) {
    auto state = nft::toText(nft_->fake.state());
    size_t n = 0;
    for (size_t at = state.find(vip); at != std::string::npos; at = state.find(vip, at + 1)) ++n;
    return n;
  }
};

TEST_F(NodeDatapathTest, ATunServiceGoesToTheDatapathOnTheVipsDeviceAndNotToNftables) {
  started(kWithTun);
  ASSERT_TRUE(datapath_->loaded);
  EXPECT_EQ(datapath_->installed.devices, (std::map<std::string, uint32_t>{{"lan0", 1}}));
  EXPECT_EQ(datapath_->installed.maps.at(bpf::kServicesMap).size(), 1u);
  EXPECT_EQ(datapath_->installed.maps.at(bpf::kSlotsMap).size(), 7u);
  EXPECT_EQ(tunReals(), (std::set<std::string>{"203.0.113.11", "203.0.113.12"}));
  EXPECT_EQ(nftElementsNaming("203.0.113.1"), 0u) << "TUN reals must not be in nftables";
}

TEST_F(NodeDatapathTest, AConfigWithoutTunNeverLoadsThePrograms) {
  started(kNatOnly);
  EXPECT_FALSE(datapath_->loaded);
  EXPECT_TRUE(datapath_->installed.empty());
}

TEST_F(NodeDatapathTest, AProgramTheKernelRefusesStopsTheStartBeforeNftables) {
  writeConfig(kWithTun);
  Node& n = makeNode();
  datapath_->refuseLoad = "the kernel refused the eBPF datapath: invalid access to packet";
  auto st = n.start(parse(kWithTun));
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().find("invalid access to packet"), std::string::npos) << st.error();
  EXPECT_TRUE(nft_->attempted.empty()) << "nothing may reach nftables";
}

TEST_F(NodeDatapathTest, AReloadNeedingRefusedProgramsChangesNothing) {
  started(kNatOnly, Wiring{.vrrp = true});
  const size_t commits = nft_->attempted.size();
  const size_t vrrpApplies = vrrp_->applies;
  datapath_->refuseLoad = "the kernel refused the eBPF datapath: invalid access to packet";
  std::string log = logged([&] { reloadWith(kWithTun); });
  EXPECT_NE(log.find("reload refused: eBPF datapath: the kernel refused"), std::string::npos)
      << log;
  EXPECT_EQ(nft_->attempted.size(), commits);
  EXPECT_EQ(vrrp_->applies, vrrpApplies) << "VRRP must not see a refused reload";
  EXPECT_TRUE(datapath_->installed.empty());
  auto snap = ask([this] { return node_->snapshot(); });
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->services.size(), 1u);
}

TEST_F(NodeDatapathTest, AnNftablesFailurePutsTheDatapathBack) {
  started(kNatOnly);
  nft_->fake.failNextCommit("Operation not permitted");
  // A NAT service too, so that the reload has an nf_tables transaction to fail.
  const std::string withTunAndNat = std::string(kWithTun) +
                                    "virtual_server 192.0.2.61 80 {\n  lb_kind NAT\n"
                                    "  real_server 198.51.100.12 80\n}\n";
  std::string log = logged([&] { reloadWith(withTunAndNat); });
  EXPECT_NE(log.find("reload failed"), std::string::npos) << log;
  EXPECT_TRUE(datapath_->installed.empty()) << "the TUN service must not stay in the datapath";
  ASSERT_GE(datapath_->history.size(), 2u);
  EXPECT_FALSE(datapath_->history[datapath_->history.size() - 2].empty());
}

TEST_F(NodeDatapathTest, AHealthFlipRewritesTheSlotTable) {
  started(kWithTun);
  deliver(health_->setReal(realKey("192.0.2.50", 80, "203.0.113.12", 80), false, "timeout"));
  EXPECT_EQ(tunReals(), (std::set<std::string>{"203.0.113.11"}));
  deliver(health_->setReal(realKey("192.0.2.50", 80, "203.0.113.12", 80), true));
  EXPECT_EQ(tunReals(), (std::set<std::string>{"203.0.113.11", "203.0.113.12"}));
}

TEST_F(NodeDatapathTest, StopDetachesTheDatapath) {
  started(kWithTun);
  node_->stop();
  EXPECT_EQ(datapath_->removals, 1u);
  EXPECT_TRUE(datapath_->installed.empty());
}

TEST_F(NodeDatapathTest, WithoutADatapathATunConfigIsRefused) {
  writeConfig(kWithTun);
  Node& n = makeNode(Wiring{.datapath = false});
  auto st = n.start(parse(kWithTun));
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().find("need the eBPF datapath"), std::string::npos) << st.error();
}

}  // namespace
}  // namespace ha::director::test
