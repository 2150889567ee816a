// Runtime edits through the node on fakes: a batch is one patch transaction of the touched
// services only; a refused batch (bad edit, or nf_tables refusing) leaves the kernel and the
// node's view exactly as they were; overrides show in the snapshot; a reload discards them and
// says so.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/director/node/node_harness.h"

namespace ha::director::test {
namespace {

constexpr const char* kConfig = R"(
virtual_server 192.0.2.10 80 {
    lb_algo mh
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.11 80 {
        weight 1
    }
    real_server 198.51.100.12 80 {
        weight 1
    }
}
virtual_server 192.0.2.20 443 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.21 443 {
        weight 1
    }
}
)";

ServiceKey key(const char* vip, uint16_t port) { return {Protocol::kTcp, ip(vip), port}; }

RuntimeEdit weightEdit(const char* vip, uint16_t port, const char* real, uint16_t rport,
                       uint32_t weight) {
  RuntimeEdit e;
  e.op = RuntimeEdit::Op::kEditReal;
  e.service = key(vip, port);
  e.real = endpoint(real, rport);
  e.weight = weight;
  return e;
}

class NodeEditsTest : public NodeHarness {
 protected:
  EditAnswer edit(std::vector<RuntimeEdit> edits) {
    auto answer = ask([&] { return node_->applyEdits(edits); });
    EXPECT_TRUE(answer.ok());
    return answer.value();
  }
};

// Draining (-e -w 0) takes the real out of rotation in one element-only transaction of that
// service, deletes no flow, and is marked as a weight override.
TEST_F(NodeEditsTest, DrainIsOnePatchOfOneServiceAndKeepsFlows) {
  started(kConfig);
  ASSERT_EQ(nft_->attempted.size(), 1u);
  const FlowOwner drained{service("192.0.2.10", 80).plan.id, 6, endpoint("198.51.100.12", 80)};
  flows_->add(drained);
  auto answer = edit({weightEdit("192.0.2.10", 80, "198.51.100.12", 80, 0)});
  ASSERT_FALSE(answer.refusal) << answer.refusal->message;
  ASSERT_EQ(nft_->attempted.size(), 2u);
  EXPECT_EQ(structuralOps(nft_->attempted[1]), 0u);
  EXPECT_EQ(backendsTo(endpoint("198.51.100.12", 80)), 0u);
  EXPECT_GT(backendsTo(endpoint("198.51.100.11", 80)), 0u);
  EXPECT_TRUE(flows_->deleteCalls().empty());
  EXPECT_EQ(flows_->flowsOf(drained), 1u);
  auto s = service("192.0.2.10", 80);
  ASSERT_EQ(s.reals.size(), 2u);
  EXPECT_EQ(s.reals[1].overrides, std::vector<std::string>{"weight"});
  EXPECT_TRUE(s.reals[0].overrides.empty());
  EXPECT_TRUE(service("192.0.2.20", 443).overrides.empty());
}

// A batch with one bad edit (an unknown real after a good drain) changes nothing at all.
TEST_F(NodeEditsTest, BatchWithOneBadEditChangesNothing) {
  started(kConfig);
  const std::string before = nft_->fake.dump();
  auto answer = edit({weightEdit("192.0.2.10", 80, "198.51.100.12", 80, 0),
                      weightEdit("192.0.2.10", 80, "198.51.100.99", 80, 0)});
  ASSERT_TRUE(answer.refusal);
  EXPECT_EQ(answer.refusal->kind, EditRefusal::Kind::kNotFound);
  EXPECT_NE(answer.refusal->message.find("198.51.100.99:80"), std::string::npos)
      << answer.refusal->message;
  EXPECT_EQ(nft_->attempted.size(), 1u);
  EXPECT_EQ(nft_->fake.dump(), before);
  EXPECT_TRUE(service("192.0.2.10", 80).reals[1].overrides.empty());
}

// nf_tables refusing the patch leaves the plan, the config and the overlay as they were; the
// same edit succeeds afterwards.
TEST_F(NodeEditsTest, KernelRefusalChangesNothing) {
  started(kConfig);
  const std::string before = nft_->fake.dump();
  nft_->fake.failNextCommit("Operation not permitted");
  auto answer = edit({weightEdit("192.0.2.10", 80, "198.51.100.12", 80, 0)});
  ASSERT_TRUE(answer.refusal);
  EXPECT_EQ(answer.refusal->kind, EditRefusal::Kind::kKernel);
  EXPECT_EQ(nft_->fake.dump(), before);
  EXPECT_EQ(service("192.0.2.10", 80).reals[1].real.weight, 1u);
  EXPECT_TRUE(service("192.0.2.10", 80).reals[1].overrides.empty());
  auto again = edit({weightEdit("192.0.2.10", 80, "198.51.100.12", 80, 0)});
  EXPECT_FALSE(again.refusal);
  EXPECT_EQ(backendsTo(endpoint("198.51.100.12", 80)), 0u);
}

// -A then -a adds a service the kernel forwards; -D removes it; the kernel ends as it began.
TEST_F(NodeEditsTest, AddAndDeleteServiceAtRuntime) {
  started(kConfig);
  const std::string before = nft_->fake.dump();
  RuntimeEdit add;
  add.op = RuntimeEdit::Op::kAddService;
  add.service = key("192.0.2.30", 8080);
  RuntimeEdit real;
  real.op = RuntimeEdit::Op::kAddReal;
  real.service = add.service;
  real.real = endpoint("198.51.100.31", 8080);
  auto answer = edit({add, real});
  ASSERT_FALSE(answer.refusal) << answer.refusal->message;
  EXPECT_EQ(answer.applied.size(), 2u);
  EXPECT_EQ(nft_->attempted.size(), 2u);
  auto s = service("192.0.2.30", 8080);
  EXPECT_TRUE(s.runtimeAdded);
  ASSERT_EQ(s.reals.size(), 1u);
  EXPECT_TRUE(s.reals[0].runtimeAdded);
  EXPECT_GT(backendsTo(endpoint("198.51.100.31", 8080)), 0u);
  RuntimeEdit del;
  del.op = RuntimeEdit::Op::kDeleteService;
  del.service = add.service;
  answer = edit({del});
  ASSERT_FALSE(answer.refusal) << answer.refusal->message;
  EXPECT_EQ(nft_->fake.dump(), before);
}

// The next reload discards every override, logs each with the value it had and the config's,
// and puts the kernel back to the config.
TEST_F(NodeEditsTest, ReloadDiscardsOverridesAndSaysSo) {
  started(kConfig);
  const std::string configured = nft_->fake.dump();
  ASSERT_FALSE(edit({weightEdit("192.0.2.10", 80, "198.51.100.11", 80, 0)}).refusal);
  std::string log = logged([&] { reloadWith(kConfig); });
  EXPECT_NE(
      log.find(
          "runtime override discarded by reload: weight of 198.51.100.11:80 in TCP 192.0.2.10:80 "
          "(was 0, config says 1)"),
      std::string::npos)
      << log;
  EXPECT_EQ(nft_->fake.dump(), configured);
  EXPECT_TRUE(service("192.0.2.10", 80).reals[0].overrides.empty());
}

}  // namespace
}  // namespace ha::director::test
