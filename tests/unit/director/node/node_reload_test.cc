// The node's start and SIGHUP reload on fakes: the plan goes to nf_tables as one transaction, a
// reload commits only the difference (nothing when nothing changed), and a refused config or a
// refused commit leaves the running state exactly as it was.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/director/node/node_harness.h"

namespace ha::director::test {
namespace {

// Two NAT services; every real has a checker. Maglev (mh): a fixed slot table, so changing the
// reals of a service edits map elements only.
constexpr const char* kBase = R"(
static_ipaddress {
    192.0.2.10/32 dev lan0
    192.0.2.20/32 dev lan0
}
virtual_server 192.0.2.10 80 {
    lb_algo mh
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.11 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
    real_server 198.51.100.12 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
virtual_server 192.0.2.20 443 {
    lb_algo mh
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.21 443 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
)";

// kBase with a third real in the first service and 192.0.2.20 moved to another address.
constexpr const char* kChanged = R"(
static_ipaddress {
    192.0.2.10/32 dev lan0
    192.0.2.30/32 dev lan0
}
virtual_server 192.0.2.10 80 {
    lb_algo mh
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.11 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
    real_server 198.51.100.12 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
    real_server 198.51.100.13 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
virtual_server 192.0.2.20 443 {
    lb_algo mh
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.21 443 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
)";

// kBase plus a DR service on a device this host does not have: the config is valid, the plan
// is not (buildPlan's one refusal the config checker cannot make).
const std::string kUnknownDevice = std::string(kBase) + R"(
static_ipaddress {
    192.0.2.40/32 dev eth9
}
virtual_server 192.0.2.40 80 {
    lb_algo mh
    lb_kind DR
    protocol TCP
    real_server 198.51.100.41 80 {
        weight 1
    }
}
)";

const std::vector<std::string> kBaseAddresses{"192.0.2.10/32 dev lan0", "192.0.2.20/32 dev lan0"};

class NodeReloadTest : public NodeHarness {};

// start: one transaction creates the whole plan (both services, every real), the checkers are
// configured once before it, and the static addresses are added.
TEST_F(NodeReloadTest, StartCommitsThePlanAsOneTransactionAndAddsTheAddresses) {
  started(kBase);
  ASSERT_EQ(nft_->attempted.size(), 1u);
  EXPECT_EQ(nft_->fake.commits(), 1);
  EXPECT_EQ(nft_->fake.state().tables.count(nft::inetTable()), 1u);
  EXPECT_GT(backendsTo(endpoint("198.51.100.11", 80)), 0u);
  EXPECT_GT(backendsTo(endpoint("198.51.100.12", 80)), 0u);
  EXPECT_EQ(backendsTo(endpoint("198.51.100.21", 443)), kDefaultMaglevTableSize);
  EXPECT_EQ(addresses(), kBaseAddresses);
  EXPECT_EQ(health_->applies(), 1u);
  ASSERT_TRUE(health_->lastConfig().has_value());
  EXPECT_EQ(health_->lastConfig()->virtualServers.size(), 2u);
  EXPECT_EQ(inRotation("192.0.2.10", 80),
            (std::vector<Endpoint>{endpoint("198.51.100.11", 80), endpoint("198.51.100.12", 80)}));
  EXPECT_EQ(inRotation("192.0.2.20", 443), (std::vector<Endpoint>{endpoint("198.51.100.21", 443)}));
}

// nf_tables refusing the first transaction fails the start, saying so, before any address is
// added.
TEST_F(NodeReloadTest, StartRefusedByNfTablesAddsNothing) {
  writeConfig(kBase);
  Node& n = makeNode();
  nft_->fake.failNextCommit("Operation not permitted");
  auto st = n.start(parse(kBase));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error(), "nf_tables transaction failed, nothing changed: Operation not permitted");
  EXPECT_EQ(nft_->attempted.size(), 1u);
  EXPECT_TRUE(nft_->fake.state().tables.empty());
  EXPECT_TRUE(addresses().empty());
}

// A module the config needs but the node runs without (VRRP here) fails the start after the
// forwarder was applied, and the start undoes it: tables and addresses removed, checkers stopped.
TEST_F(NodeReloadTest, StartWithoutANeededModuleIsUndone) {
  const std::string withVrrp = std::string(kBase) + R"(
vrrp_instance VI_1 {
    interface lan0
    virtual_router_id 7
    virtual_ipaddress {
        192.0.2.99/32
    }
}
)";
  writeConfig(withVrrp);
  Node& n = makeNode();
  auto st = n.start(parse(withVrrp));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error(), "vrrp_instance configured, but this node runs without VRRP");
  ASSERT_EQ(nft_->attempted.size(), 2u);  // the plan, then its removal
  EXPECT_TRUE(nft_->fake.state().tables.empty());
  EXPECT_TRUE(addresses().empty());
  EXPECT_EQ(health_->shutdowns(), 1u);
}

// A changed config: one more transaction, holding only element edits of the changed service
// (no table, chain or rule is rebuilt), after which the kernel holds what a fresh start on the
// new config would install; the addresses follow the config.
TEST_F(NodeReloadTest, ChangedConfigCommitsOneTransactionWithTheDifference) {
  started(kBase);
  reloadWith(kChanged);
  ASSERT_EQ(nft_->attempted.size(), 2u);
  const auto& tx = nft_->attempted[1];
  EXPECT_EQ(structuralOps(tx), 0u);
  EXPECT_EQ(
      elementsOutside(tx, nft::byFamily(nft::kBackends, false), service("192.0.2.10", 80).plan.id),
      0u)
      << "only the changed service's backends are edited";
  EXPECT_GT(backendsTo(endpoint("198.51.100.13", 80)), 0u);
  EXPECT_EQ(addresses(),
            (std::vector<std::string>{"192.0.2.10/32 dev lan0", "192.0.2.30/32 dev lan0"}));
  EXPECT_EQ(health_->applies(), 2u);

  const std::string afterReload = nft_->fake.dump();
  NodeRig fresh;
  fresh.started(kChanged);
  EXPECT_EQ(afterReload, fresh.nft_->fake.dump());
}

// The same config again: the checkers are re-applied (they keep their state), nothing is
// committed and nothing in the kernel moves.
TEST_F(NodeReloadTest, UnchangedConfigCommitsNothing) {
  started(kBase);
  const std::string before = nft_->fake.dump();
  reloadWith(kBase);
  EXPECT_EQ(nft_->attempted.size(), 1u);
  EXPECT_EQ(nft_->fake.dump(), before);
  EXPECT_EQ(addresses(), kBaseAddresses);
  EXPECT_EQ(health_->applies(), 2u);
}

// A config with a syntax error is refused before anything is asked of any module: no commit, no
// health or VRRP apply, the addresses stay, and the log says the running configuration stands.
TEST_F(NodeReloadTest, ConfigWithErrorsChangesNothing) {
  started(kBase, {.health = true, .vrrp = true});
  const std::string before = nft_->fake.dump();
  std::string log =
      logged([&] { reloadWith(std::string(kChanged) + "virtual_server 192.0.2.50 {\n"); });
  EXPECT_NE(
      log.find("reload refused: the config has errors; the running configuration is unchanged"),
      std::string::npos)
      << log;
  EXPECT_EQ(nft_->attempted.size(), 1u);
  EXPECT_EQ(nft_->fake.dump(), before);
  EXPECT_EQ(addresses(), kBaseAddresses);
  EXPECT_EQ(health_->applies(), 1u);
  EXPECT_EQ(vrrp_->applies, 1u);
}

// A config whose plan cannot be built (a DR device that does not exist) is refused whole: no
// commit, no module reconfigured, and the old plan still answers.
TEST_F(NodeReloadTest, UnplannableConfigChangesNothing) {
  started(kBase);
  const std::string before = nft_->fake.dump();
  std::string log = logged([&] { reloadWith(kUnknownDevice); });
  EXPECT_NE(log.find("reload refused: "), std::string::npos) << log;
  EXPECT_NE(log.find("eth9"), std::string::npos) << log;
  EXPECT_EQ(nft_->attempted.size(), 1u);
  EXPECT_EQ(nft_->fake.dump(), before);
  EXPECT_EQ(addresses(), kBaseAddresses);
  EXPECT_EQ(health_->applies(), 1u);
  auto answer = ask([this] {
    FlowQuery q;
    q.vip = ip("192.0.2.40");
    q.vipPort = 80;
    return node_->lookup(q);
  });
  ASSERT_TRUE(answer.ok());
  EXPECT_FALSE(answer->service.has_value());
}

// VRRP refusing the new config (an unknown interface, say) refuses the whole reload: it is asked
// first, so the checkers and the forwarder keep the old config.
TEST_F(NodeReloadTest, VrrpRefusalChangesNothing) {
  started(kBase, {.health = true, .vrrp = true});
  const std::string before = nft_->fake.dump();
  vrrp_->refuseWith = "instance VI_1: interface eth9 does not exist";
  std::string log = logged([&] { reloadWith(kChanged); });
  EXPECT_NE(log.find("reload refused: instance VI_1: interface eth9 does not exist"),
            std::string::npos)
      << log;
  EXPECT_EQ(vrrp_->applies, 2u);
  EXPECT_EQ(nft_->attempted.size(), 1u);
  EXPECT_EQ(nft_->fake.dump(), before);
  EXPECT_EQ(addresses(), kBaseAddresses);
  EXPECT_EQ(health_->applies(), 1u);
}

// The health thread not answering a reload stops it before the forwarder: nothing committed.
TEST_F(NodeReloadTest, HealthRefusalLeavesTheForwarderAlone) {
  started(kBase);
  const std::string before = nft_->fake.dump();
  health_->failNextApply("the health thread did not take the request within 10000 ms");
  std::string log = logged([&] { reloadWith(kChanged); });
  EXPECT_NE(log.find("reload: health checks: the health thread did not take the request"),
            std::string::npos)
      << log;
  EXPECT_EQ(nft_->attempted.size(), 1u);
  EXPECT_EQ(nft_->fake.dump(), before);
  EXPECT_EQ(addresses(), kBaseAddresses);
}

// nf_tables refusing the reload's transaction: the kernel, the addresses and the node's model of
// the kernel stay as before, and the log says nothing changed; the next reload (a full diff) and
// the next health patch are computed against what is really installed.
TEST_F(NodeReloadTest, RefusedCommitLeavesTheInstalledStateAsBefore) {
  started(kBase);
  const std::string before = nft_->fake.dump();
  nft_->fake.failNextCommit("Device or resource busy");
  std::string log = logged([&] { reloadWith(kChanged); });
  EXPECT_NE(
      log.find(
          "reload failed: nf_tables transaction failed, nothing changed: Device or resource busy"),
      std::string::npos)
      << log;
  ASSERT_EQ(nft_->attempted.size(), 2u);
  EXPECT_EQ(nft_->fake.dump(), before);
  EXPECT_EQ(addresses(), kBaseAddresses);
  EXPECT_EQ(backendsTo(endpoint("198.51.100.13", 80)), 0u);

  // The next reload that cannot patch (a new hash seed) diffs against the node's model of the
  // kernel: it must not include the refused change, or the kernel ends short of the new config.
  const std::string reseeded =
      std::string("global_defs {\n    lb_hash_seed 0x5eed\n}\n") + kChanged;
  reloadWith(reseeded);
  ASSERT_EQ(nft_->attempted.size(), 3u);
  EXPECT_EQ(nft_->fake.commits(), 2);
  EXPECT_EQ(addresses(),
            (std::vector<std::string>{"192.0.2.10/32 dev lan0", "192.0.2.30/32 dev lan0"}));
  NodeRig fresh;
  fresh.started(reseeded);
  EXPECT_EQ(nft_->fake.dump(), fresh.nft_->fake.dump());

  // And a health patch after it commits cleanly on the fake kernel.
  deliver(
      health_->setReal(realKey("192.0.2.10", 80, "198.51.100.13", 80), false, "connect refused"));
  ASSERT_EQ(nft_->attempted.size(), 4u);
  EXPECT_EQ(nft_->fake.commits(), 3);
  EXPECT_EQ(backendsTo(endpoint("198.51.100.13", 80)), 0u);
}

}  // namespace
}  // namespace ha::director::test
