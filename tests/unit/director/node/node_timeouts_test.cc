// directorctl --set through the node on fakes: one transaction that moves services to the class
// chains of the new timeouts (backends untouched), a service with its own lvs_timeouts keeps
// them, bad values and a refusing kernel change nothing, a reload discards the values and says so.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/director/node/node_harness.h"

namespace ha::director::test {
namespace {

constexpr const char* kConfig = R"(
global_defs {
    lvs_timeouts tcp 700
}
virtual_server 192.0.2.10 80 {
    lb_algo rr
    lb_kind NAT
    real_server 198.51.100.11 80 {
        weight 1
    }
}
virtual_server 192.0.2.20 53 {
    protocol UDP
    lb_algo rr
    lb_kind NAT
    lvs_timeouts udp 77
    real_server 198.51.100.21 53 {
        weight 1
    }
}
)";

RuntimeEdit setTimeouts(uint32_t tcp, uint32_t tcpfin, uint32_t udp) {
  RuntimeEdit e;
  e.op = RuntimeEdit::Op::kSetTimeouts;
  auto value = [](uint32_t v) { return v == 0 ? std::nullopt : std::optional<uint32_t>(v); };
  e.timeouts = {value(tcp), value(tcpfin), value(udp)};
  return e;
}

class NodeTimeoutsTest : public NodeHarness {
 protected:
  EditAnswer edit(std::vector<RuntimeEdit> edits) {
    auto answer = ask([&] { return node_->applyEdits(edits); });
    EXPECT_TRUE(answer.ok());
    return answer.value();
  }
  ConnTimeouts timeouts() {
    auto snap = ask([this] { return node_->snapshot(); });
    EXPECT_TRUE(snap.ok());
    return snap->timeouts;
  }
  bool hasObject(const std::string& name) {
    const auto& tables = nft_->fake.state().tables;
    auto t = tables.find(nft::inetTable());
    return t != tables.end() && t->second.objects.count(name) != 0;
  }
};

// --set 300 0 100: tcp and udp change, tcpfin stays (0); the UDP service keeps its own udp 77 and
// takes the new global tcp; only services-map elements move.
TEST_F(NodeTimeoutsTest, SetMovesServicesToNewObjectsInOneTransaction) {
  started(kConfig);
  EXPECT_EQ(timeoutsText(timeouts()), "tcp 700 tcpfin 120 udp 300");
  EXPECT_TRUE(hasObject("dnat4_rot1_t700_120_300_tcp"));
  auto answer = edit({setTimeouts(300, 0, 100)});
  ASSERT_FALSE(answer.refusal) << answer.refusal->message;
  ASSERT_EQ(nft_->attempted.size(), 2u);
  for (const auto& op : nft_->attempted[1].ops) {
    if (const auto* a = std::get_if<nft::AddElements>(&op)) {
      EXPECT_EQ(a->set, "services4");
    }
    if (const auto* d = std::get_if<nft::DeleteElements>(&op)) {
      EXPECT_EQ(d->set, "services4");
    }
  }
  EXPECT_EQ(timeoutsText(timeouts()), "tcp 300 tcpfin 120 udp 100");
  EXPECT_TRUE(hasObject("dnat4_rot1_t300_120_100_tcp"));
  EXPECT_FALSE(hasObject("dnat4_rot1_t700_120_300_tcp"));
  // The UDP service resolves to tcp 300 tcpfin 120 udp 77 now: its own udp stays.
  EXPECT_TRUE(hasObject("dnat4_rot1_t300_120_77_udp"));
  EXPECT_NE(answer.applied.at(0).find(
                "lvs_timeouts tcp 300 tcpfin 120 udp 100 (was tcp 700 tcpfin 120 udp 300)"),
            std::string::npos)
      << answer.applied.at(0);
}

// A value over 31 days, or --set mixed with other edits, is refused and changes nothing.
TEST_F(NodeTimeoutsTest, BadSetChangesNothing) {
  started(kConfig);
  const std::string before = nft_->fake.dump();
  auto answer = edit({setTimeouts(2678401, 0, 0)});
  ASSERT_TRUE(answer.refusal);
  EXPECT_EQ(answer.refusal->kind, EditRefusal::Kind::kInvalid);
  EXPECT_NE(answer.refusal->message.find("tcp timeout 2678401 s is more than 31 days"),
            std::string::npos)
      << answer.refusal->message;
  RuntimeEdit drain;
  drain.op = RuntimeEdit::Op::kEditReal;
  drain.service = {Protocol::kTcp, ip("192.0.2.10"), 80};
  drain.real = endpoint("198.51.100.11", 80);
  drain.weight = 0;
  answer = edit({setTimeouts(10, 0, 0), drain});
  ASSERT_TRUE(answer.refusal);
  EXPECT_EQ(nft_->attempted.size(), 1u);
  EXPECT_EQ(nft_->fake.dump(), before);
  EXPECT_EQ(timeoutsText(timeouts()), "tcp 700 tcpfin 120 udp 300");
}

// nf_tables refusing the transaction leaves the kernel, the plan and the values as they were.
TEST_F(NodeTimeoutsTest, KernelRefusalChangesNothing) {
  started(kConfig);
  const std::string before = nft_->fake.dump();
  nft_->fake.failNextCommit("Operation not permitted");
  auto answer = edit({setTimeouts(300, 0, 0)});
  ASSERT_TRUE(answer.refusal);
  EXPECT_EQ(answer.refusal->kind, EditRefusal::Kind::kKernel);
  EXPECT_EQ(nft_->fake.dump(), before);
  EXPECT_EQ(timeoutsText(timeouts()), "tcp 700 tcpfin 120 udp 300");
  EXPECT_FALSE(edit({setTimeouts(300, 0, 0)}).refusal);
  EXPECT_EQ(timeoutsText(timeouts()), "tcp 300 tcpfin 120 udp 300");
}

// A reload puts the config's values back and logs the discarded ones.
TEST_F(NodeTimeoutsTest, ReloadDiscardsSetAndSaysSo) {
  started(kConfig);
  const std::string configured = nft_->fake.dump();
  ASSERT_FALSE(edit({setTimeouts(300, 0, 0)}).refusal);
  std::string log = logged([&] { reloadWith(kConfig); });
  EXPECT_NE(
      log.find(
          "runtime override discarded by reload: lvs_timeouts (was tcp 300 tcpfin 120 udp 300, "
          "config says tcp 700 tcpfin 120 udp 300)"),
      std::string::npos)
      << log;
  EXPECT_EQ(nft_->fake.dump(), configured);
  EXPECT_EQ(timeoutsText(timeouts()), "tcp 700 tcpfin 120 udp 300");
}

}  // namespace
}  // namespace ha::director::test
