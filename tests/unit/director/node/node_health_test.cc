// The node's side of health verdicts on fakes (Node::onHealthEvents -> flushHealth): a burst of
// verdicts is one patch transaction of map elements, a failed real leaves the plan and its flows
// and persistence entries go, a refused patch rolls back, and VRRP hears the quorum it tracks.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "director/nft/names.h"
#include "director/nft/render.h"
#include "tests/unit/director/node/node_harness.h"

namespace ha::director::test {
namespace {

// Service A: three reals, the third inhibit_on_failure. Service B: client persistence. Maglev
// (mh): a fixed slot table, so a health flip edits map elements only.
constexpr const char* kConfig = R"(
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
        inhibit_on_failure
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
virtual_server 192.0.2.20 443 {
    lb_algo mh
    lb_kind NAT
    protocol TCP
    persistence_timeout 300
    real_server 198.51.100.21 443 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
    real_server 198.51.100.22 443 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
)";

// One service with a sorry server, tracked by a VRRP instance.
constexpr const char* kTracked = R"(
virtual_server 192.0.2.10 80 {
    lb_algo mh
    lb_kind NAT
    protocol TCP
    sorry_server 198.51.100.99 80
    real_server 198.51.100.11 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
vrrp_instance VI_1 {
    interface lan0
    virtual_router_id 7
    priority 100
    virtual_ipaddress {
        192.0.2.10/24
    }
    track_virtual_server {
        192.0.2.10 80
    }
}
)";

const Endpoint kA1 = endpoint("198.51.100.11", 80);
const Endpoint kA2 = endpoint("198.51.100.12", 80);
const Endpoint kA3 = endpoint("198.51.100.13", 80);
const Endpoint kB1 = endpoint("198.51.100.21", 443);
const Endpoint kB2 = endpoint("198.51.100.22", 443);
const healthcheck::RealKey kA2Key = realKey("192.0.2.10", 80, "198.51.100.12", 80);

class NodeHealthTest : public NodeHarness {
 protected:
  uint32_t idOf(const char* vip, uint16_t port) { return service(vip, port).plan.id; }
  // A persistence entry as the datapath adds it: client . mark : real . port.
  void persist(const char* client, uint32_t serviceId, const Endpoint& real) {
    nft::Element e;
    const IpAddress c = ip(client);
    e.key = nft::KeyBuilder().raw(c.bytes(), c.size()).hostU32(nft::serviceMark(serviceId)).take();
    e.data = nft::endpointData(real);
    nft::Transaction tx;
    tx.ops.push_back(nft::AddElements{nft::inetTable(), nft::byFamily(nft::kPersist, false), {e}});
    ASSERT_TRUE(nft_->fake.commit(tx));
  }
  size_t persistEntries() {
    auto elements =
        nft_->fake.readSetElements(nft::inetTable(), nft::byFamily(nft::kPersist, false));
    EXPECT_TRUE(elements.ok());
    return elements->size();
  }
};

// One real failing its checks: exactly one transaction, of map elements only; no backend sends
// new flows to it any more, the others still get them, and the plan (the flow oracle, the
// snapshot) has it out of rotation with the checker's reason.
TEST_F(NodeHealthTest, HealthFlipMakesExactlyOnePatchTransaction) {
  started(kConfig);
  ASSERT_EQ(nft_->attempted.size(), 1u);
  deliver(health_->setReal(kA2Key, false, "connect refused"));
  ASSERT_EQ(nft_->attempted.size(), 2u);
  EXPECT_EQ(nft_->fake.commits(), 2);
  EXPECT_EQ(structuralOps(nft_->attempted[1]), 0u);
  EXPECT_FALSE(nft_->attempted[1].ops.empty());
  EXPECT_EQ(elementsOutside(nft_->attempted[1], nft::byFamily(nft::kBackends, false),
                            idOf("192.0.2.10", 80)),
            0u)
      << "only the failed real's service is patched";
  EXPECT_EQ(backendsTo(kA2), 0u);
  EXPECT_EQ(backendsTo(kA1) + backendsTo(kA3), kDefaultMaglevTableSize)
      << "its slots went to the others";
  EXPECT_GT(backendsTo(kA1), 0u);
  EXPECT_EQ(backendsTo(kB1) + backendsTo(kB2), kDefaultMaglevTableSize)
      << "the other service is untouched";
  EXPECT_EQ(inRotation("192.0.2.10", 80), (std::vector<Endpoint>{kA1, kA3}));
  auto a = service("192.0.2.10", 80);
  ASSERT_EQ(a.reals.size(), 3u);
  EXPECT_FALSE(a.reals[1].real.healthy);
  EXPECT_FALSE(a.reals[1].real.inRotation);
  EXPECT_EQ(a.reals[1].real.healthReason, "connect refused");
  EXPECT_TRUE(a.reals[0].real.inRotation);
}

// Verdicts posted in several listener calls before the director thread gets to them are one
// transaction; a verdict equal to the known one, none at all.
TEST_F(NodeHealthTest, BurstOfVerdictsIsOneTransactionAndRepeatsAreNone) {
  started(kConfig);
  node_->onHealthEvents(health_->setReal(kA2Key, false, "connect refused"));
  node_->onHealthEvents(
      health_->setReal(realKey("192.0.2.20", 443, "198.51.100.21", 443), false, "timeout"));
  node_->runReady();
  ASSERT_EQ(nft_->attempted.size(), 2u);
  EXPECT_EQ(structuralOps(nft_->attempted[1]), 0u);
  EXPECT_EQ(backendsTo(kA2), 0u);
  EXPECT_EQ(backendsTo(kB1), 0u);
  EXPECT_EQ(backendsTo(kB2), kDefaultMaglevTableSize) << "the only live real holds every slot";

  deliver({healthcheck::RealVerdict{kA2Key, false, std::nullopt, "connect refused"}});
  EXPECT_EQ(nft_->attempted.size(), 2u);
}

// The real coming back: one more transaction, after which the kernel is exactly as at start.
TEST_F(NodeHealthTest, RealComingBackRestoresTheStartState) {
  started(kConfig);
  const std::string atStart = nft_->fake.dump();
  deliver(health_->setReal(kA2Key, false, "connect refused"));
  deliver(health_->setReal(kA2Key, true));
  ASSERT_EQ(nft_->attempted.size(), 3u);
  EXPECT_EQ(nft_->fake.dump(), atStart);
  EXPECT_EQ(inRotation("192.0.2.10", 80), (std::vector<Endpoint>{kA1, kA2, kA3}));
}

// nf_tables refusing the patch: the kernel keeps the old state, the plan is rolled back (the real
// still in rotation), no flow is deleted, and the log says the change was not applied. The node's
// model of the kernel stays true: the next patch commits cleanly on the fake, and a reload
// re-plans from the verdicts and so applies the one that was refused.
TEST_F(NodeHealthTest, RefusedPatchRollsBackAndIsRetried) {
  started(kConfig);
  const std::string atStart = nft_->fake.dump();
  flows_->add({idOf("192.0.2.10", 80), 6, kA2});
  nft_->fake.failNextCommit("Cannot allocate memory");
  std::string log = logged([&] { deliver(health_->setReal(kA2Key, false, "connect refused")); });
  EXPECT_NE(log.find("health change not applied, nf_tables transaction failed: Cannot allocate "
                     "memory; retrying in 100 ms"),
            std::string::npos)
      << log;
  // Checked without running the loop (inRotation would), which could fire the 100 ms retry on a
  // slow (sanitized) build.
  ASSERT_EQ(nft_->attempted.size(), 2u);
  EXPECT_EQ(nft_->fake.dump(), atStart);
  EXPECT_GT(backendsTo(kA2), 0u);
  EXPECT_TRUE(flows_->deleteCalls().empty());
  EXPECT_EQ(flows_->size(), 1u);

  // The verdict is known but not in the kernel: it is patched again after the back-off (no new
  // event needed), and the failed real's flows go then.
  ASSERT_TRUE(runUntil([&] { return nft_->attempted.size() == 3; }));
  EXPECT_EQ(nft_->fake.commits(), 2);
  EXPECT_EQ(backendsTo(kA2), 0u);
  EXPECT_EQ(inRotation("192.0.2.10", 80), (std::vector<Endpoint>{kA1, kA3}));
  ASSERT_EQ(flows_->deleteCalls().size(), 1u);
  EXPECT_EQ(flows_->size(), 0u);

  // Nothing further is pending: no more transactions.
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  node_->runReady();
  EXPECT_EQ(nft_->attempted.size(), 3u);

  deliver(health_->setReal(realKey("192.0.2.20", 443, "198.51.100.21", 443), false, "timeout"));
  ASSERT_EQ(nft_->attempted.size(), 4u);
  EXPECT_EQ(backendsTo(kB1), 0u);
}

// A refused patch followed by a reload: the reload's full plan carries the verdict, the retry is
// dropped, and the failed real's flows are retired then.
TEST_F(NodeHealthTest, ReloadAppliesARefusedVerdictAndCancelsTheRetry) {
  started(kConfig);
  flows_->add({idOf("192.0.2.10", 80), 6, kA2});
  nft_->fake.failNextCommit("Cannot allocate memory");
  deliver(health_->setReal(kA2Key, false, "connect refused"));
  ASSERT_EQ(nft_->attempted.size(), 2u);
  EXPECT_GT(backendsTo(kA2), 0u);

  reloadWith(kConfig);
  ASSERT_EQ(nft_->attempted.size(), 3u);
  EXPECT_EQ(backendsTo(kA2), 0u);
  ASSERT_EQ(flows_->deleteCalls().size(), 1u);
  EXPECT_EQ(flows_->size(), 0u);
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  node_->runReady();
  EXPECT_EQ(nft_->attempted.size(), 3u) << "the retry was cancelled by the reload";
}

// A failed real's flows are deleted through the conntrack port, in one call for the batch, and
// only its own (service, real) pairs; an inhibit_on_failure real keeps its flows (weight 0).
TEST_F(NodeHealthTest, FailedRealsFlowsAreDeletedInOneBatch) {
  started(kConfig);
  const uint32_t a = idOf("192.0.2.10", 80);
  const uint32_t b = idOf("192.0.2.20", 443);
  flows_->add({a, 6, kA1});
  flows_->add({a, 6, kA2});
  flows_->add({a, 6, kA2}, false);
  flows_->add({a, 6, kA3});
  flows_->add({b, 6, kB1});
  flows_->add({b, 6, kB2});

  auto events = health_->setReal(kA2Key, false, "connect refused");
  for (auto& e :
       health_->setReal(realKey("192.0.2.20", 443, "198.51.100.21", 443), false, "timeout")) {
    events.push_back(std::move(e));
  }
  deliver(std::move(events));
  ASSERT_EQ(flows_->deleteCalls().size(), 1u);
  EXPECT_EQ(flows_->deleteCalls()[0], (std::vector<FlowOwner>{{a, 6, kA2}, {b, 6, kB1}}));
  EXPECT_EQ(flows_->flowsOf({a, 6, kA2}), 0u);
  EXPECT_EQ(flows_->flowsOf({b, 6, kB1}), 0u);
  EXPECT_EQ(flows_->size(), 3u);

  deliver(health_->setReal(realKey("192.0.2.10", 80, "198.51.100.13", 80), false, "timeout"));
  EXPECT_EQ(nft_->attempted.size(), 3u) << "inhibiting a real is still a patch (weight 0)";
  EXPECT_EQ(flows_->deleteCalls().size(), 1u);
  EXPECT_EQ(flows_->flowsOf({a, 6, kA3}), 1u);
}

// A conntrack port that fails the deletion is logged; the patch stands (flows of a dead real
// then time out on their own).
TEST_F(NodeHealthTest, FailedFlowDeletionIsLoggedAndThePatchStands) {
  started(kConfig);
  flows_->add({idOf("192.0.2.10", 80), 6, kA2});
  flows_->failNextDelete("conntrack dump: Operation not permitted");
  std::string log = logged([&] { deliver(health_->setReal(kA2Key, false, "connect refused")); });
  EXPECT_NE(
      log.find("deleting the flows of 1 failed reals: conntrack dump: Operation not permitted"),
      std::string::npos)
      << log;
  EXPECT_EQ(flows_->deleteCalls().size(), 1u);
  EXPECT_EQ(flows_->size(), 1u);
  EXPECT_EQ(backendsTo(kA2), 0u);
}

// With persistence, the failed real's persistence entries are deleted too (one extra element
// transaction), so its clients are scheduled anew; other reals' clients keep theirs.
TEST_F(NodeHealthTest, FailedRealsPersistenceEntriesArePurged) {
  started(kConfig);
  const uint32_t b = idOf("192.0.2.20", 443);
  persist("203.0.113.1", b, kB1);
  persist("203.0.113.2", b, kB1);
  persist("203.0.113.3", b, kB2);
  ASSERT_EQ(persistEntries(), 3u);
  deliver(health_->setReal(realKey("192.0.2.20", 443, "198.51.100.21", 443), false, "timeout"));
  ASSERT_EQ(nft_->attempted.size(), 3u);  // the patch, then the purge
  const auto& purge = nft_->attempted[2];
  ASSERT_EQ(purge.ops.size(), 1u);
  const auto* deleted = std::get_if<nft::DeleteElements>(&purge.ops[0]);
  ASSERT_NE(deleted, nullptr);
  EXPECT_EQ(deleted->set, nft::byFamily(nft::kPersist, false));
  EXPECT_EQ(deleted->elements.size(), 2u);
  EXPECT_EQ(persistEntries(), 1u);
}

// A lost quorum: the service's new flows go to the sorry server in one patch, and the VRRP
// instance tracking it hears it; regaining it undoes both.
TEST_F(NodeHealthTest, QuorumReachesVrrpAndTheSorryServer) {
  started(kTracked, {.health = true, .vrrp = true});
  const std::string name = "TCP 192.0.2.10:80";
  EXPECT_EQ(vrrp_->quorum, (std::vector<std::pair<std::string, bool>>{{name, true}}))
      << "as of start";
  const healthcheck::ServiceKey key{6, ip("192.0.2.10"), 80};
  auto events = health_->setReal(realKey("192.0.2.10", 80, "198.51.100.11", 80), false, "timeout");
  events.push_back(health_->setQuorum(key, false).at(0));
  deliver(std::move(events));
  ASSERT_EQ(nft_->attempted.size(), 2u);
  EXPECT_EQ(vrrp_->quorum.back(), std::make_pair(name, false));
  EXPECT_EQ(backendsTo(endpoint("198.51.100.99", 80)), kDefaultMaglevTableSize);
  EXPECT_TRUE(service("192.0.2.10", 80).plan.sorryActive);

  auto back = health_->setReal(realKey("192.0.2.10", 80, "198.51.100.11", 80), true);
  back.push_back(health_->setQuorum(key, true).at(0));
  deliver(std::move(back));
  ASSERT_EQ(nft_->attempted.size(), 3u);
  EXPECT_EQ(vrrp_->quorum,
            (std::vector<std::pair<std::string, bool>>{{name, true}, {name, false}, {name, true}}));
  EXPECT_EQ(backendsTo(endpoint("198.51.100.99", 80)), 0u);
  EXPECT_EQ(backendsTo(endpoint("198.51.100.11", 80)), kDefaultMaglevTableSize);
}

// Verdicts that arrive after stop() change nothing.
TEST_F(NodeHealthTest, VerdictsAfterStopAreDropped) {
  started(kConfig);
  node_->stop();
  const size_t commits = nft_->attempted.size();
  deliver(health_->setReal(kA2Key, false, "connect refused"));
  EXPECT_EQ(nft_->attempted.size(), commits);
  EXPECT_TRUE(flows_->deleteCalls().empty());
}

}  // namespace
}  // namespace ha::director::test
