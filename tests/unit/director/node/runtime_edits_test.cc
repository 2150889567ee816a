// planEdits (ipvsadm's -A/-E/-D/-a/-e/-d on the effective config) and the overlay it keeps:
// each refusal names what it refuses and leaves nothing; overrides record what differs from
// the config file; discardedByReload says what a reload throws away.
#include "director/node/runtime_edits.h"

#include <gtest/gtest.h>

#include <map>

#include "director/config/config_loader.h"

namespace ha::director {
namespace {

constexpr const char* kConfig = R"(
virtual_server 192.0.2.10 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.11 80 {
        weight 3
        TCP_CHECK {
            connect_timeout 1
        }
    }
    real_server 198.51.100.12 80 {
    }
}
)";

IpAddress ip(const char* text) { return *IpAddress::parse(text); }
ServiceKey key(const char* vip, uint16_t port) { return {Protocol::kTcp, ip(vip), port}; }

class RuntimeEditsTest : public ::testing::Test {
 protected:
  RuntimeEditsTest() {
    auto loaded = loadConfigText(kConfig, "test.conf");
    EXPECT_FALSE(loaded.hasErrors());
    config_ = loaded.config;
    for (const auto& vs : config_.virtualServers) services_[serviceKeyOf(vs)] = vs;
  }
  ServiceLookup lookup() {
    return [this](const ServiceKey& k) -> const VirtualServerConfig* {
      auto it = services_.find(k);
      return it == services_.end() ? nullptr : &it->second;
    };
  }
  EditOutcome run(const std::vector<RuntimeEdit>& edits) {
    return planEdits(lookup(), overrides_, edits);
  }
  // Applies a successful outcome to the services, as the node does after the kernel took it.
  void commit(EditOutcome& outcome) {
    ASSERT_FALSE(outcome.refusal) << outcome.refusal->message;
    for (auto& [k, vs] : outcome.work.services) {
      if (vs)
        services_[k] = *vs;
      else
        services_.erase(k);
    }
    overrides_ = outcome.work.overrides;
  }
  static RuntimeEdit realEdit(RuntimeEdit::Op op, const char* real, uint16_t port) {
    RuntimeEdit e;
    e.op = op;
    e.service = key("192.0.2.10", 80);
    e.real = Endpoint{ip(real), port};
    return e;
  }

  Config config_;
  std::map<ServiceKey, VirtualServerConfig> services_;
  RuntimeOverrides overrides_;
};

// -e -w 0 drains: the weight changes, the override is "weight", the line says was/now.
TEST_F(RuntimeEditsTest, EditRealWeightIsAWeightOverride) {
  auto e = realEdit(RuntimeEdit::Op::kEditReal, "198.51.100.11", 80);
  e.weight = 0;
  auto out = run({e});
  ASSERT_FALSE(out.refusal);
  EXPECT_EQ(out.work.services.at(key("192.0.2.10", 80))->reals[0].weight, 0u);
  EXPECT_EQ(out.work.overrides.at(key("192.0.2.10", 80)).reals.at({ip("198.51.100.11"), 80}).fields,
            std::set<std::string>{"weight"});
  ASSERT_EQ(out.work.applied.size(), 1u);
  EXPECT_EQ(out.work.applied[0],
            "edited real 198.51.100.11:80 of TCP 192.0.2.10:80: weight 0 (was 3)");
  EXPECT_FALSE(out.work.healthChanged);
}

// Unknown service or real: NOT_FOUND naming it; adding an existing one: ALREADY_EXISTS.
TEST_F(RuntimeEditsTest, UnknownAndExistingAreRefusedByName) {
  auto unknownReal = realEdit(RuntimeEdit::Op::kEditReal, "198.51.100.99", 80);
  unknownReal.weight = 1;
  auto out = run({unknownReal});
  ASSERT_TRUE(out.refusal);
  EXPECT_EQ(out.refusal->kind, EditRefusal::Kind::kNotFound);
  EXPECT_EQ(out.refusal->message, "no real 198.51.100.99:80 in TCP 192.0.2.10:80");

  RuntimeEdit unknownService;
  unknownService.op = RuntimeEdit::Op::kDeleteService;
  unknownService.service = key("192.0.2.99", 80);
  out = run({unknownService});
  ASSERT_TRUE(out.refusal);
  EXPECT_EQ(out.refusal->kind, EditRefusal::Kind::kNotFound);
  EXPECT_EQ(out.refusal->message, "no virtual service TCP 192.0.2.99:80");

  out = run({realEdit(RuntimeEdit::Op::kAddReal, "198.51.100.12", 80)});
  ASSERT_TRUE(out.refusal);
  EXPECT_EQ(out.refusal->kind, EditRefusal::Kind::kExists);
}

// A batch is all or nothing: the second edit's refusal names its place and returns no work.
TEST_F(RuntimeEditsTest, OneBadEditRefusesTheBatch) {
  auto good = realEdit(RuntimeEdit::Op::kEditReal, "198.51.100.11", 80);
  good.weight = 0;
  auto bad = realEdit(RuntimeEdit::Op::kEditReal, "198.51.100.12", 80);
  bad.weight = 70000;
  auto out = run({good, bad});
  ASSERT_TRUE(out.refusal);
  EXPECT_EQ(out.refusal->kind, EditRefusal::Kind::kInvalid);
  EXPECT_EQ(out.refusal->message,
            "edit 2 of 2: weight 70000 is over 65535; nothing in the batch was applied");
  EXPECT_TRUE(out.work.services.empty());
  EXPECT_TRUE(out.work.applied.empty());
}

// A service forwards by one mode: -g for a real of a NAT service with other reals is refused
// with the reason; an unknown scheduler too.
TEST_F(RuntimeEditsTest, ForwardingAndSchedulerChecked) {
  auto dr = realEdit(RuntimeEdit::Op::kAddReal, "198.51.100.13", 80);
  dr.forwarding = ForwardMode::kDr;
  auto out = run({dr});
  ASSERT_TRUE(out.refusal);
  EXPECT_EQ(out.refusal->message,
            "TCP 192.0.2.10:80 forwards by NAT (-m); real 198.51.100.13:80 cannot use DR (-g): a "
            "service has one "
            "forwarding mode for all its reals");
  RuntimeEdit sched;
  sched.op = RuntimeEdit::Op::kEditService;
  sched.service = key("192.0.2.10", 80);
  sched.scheduler = "lblc";
  out = run({sched});
  ASSERT_TRUE(out.refusal);
  EXPECT_EQ(out.refusal->kind, EditRefusal::Kind::kInvalid);
  EXPECT_NE(out.refusal->message.find("unknown scheduler 'lblc'"), std::string::npos);
}

// -A takes the config's default scheduler (rr); -a without -w weight 1, not health-checked,
// both marked runtime-added; the port of -r defaults to the service's.
TEST_F(RuntimeEditsTest, AddedServiceAndRealTakeDefaults) {
  RuntimeEdit add;
  add.op = RuntimeEdit::Op::kAddService;
  add.service = key("192.0.2.30", 8080);
  RuntimeEdit real;
  real.op = RuntimeEdit::Op::kAddReal;
  real.service = add.service;
  real.real = Endpoint{ip("198.51.100.31"), 0};
  auto out = run({add, real});
  ASSERT_FALSE(out.refusal) << out.refusal->message;
  const auto& vs = *out.work.services.at(add.service);
  EXPECT_EQ(vs.scheduler, VirtualServerConfig{}.scheduler);
  EXPECT_FALSE(vs.persistenceTimeoutSec);
  ASSERT_EQ(vs.reals.size(), 1u);
  EXPECT_EQ(vs.reals[0].port, 8080);
  EXPECT_EQ(vs.reals[0].weight, 1u);
  EXPECT_TRUE(vs.reals[0].checkers.empty());
  EXPECT_TRUE(out.work.overrides.at(add.service).added);
  EXPECT_TRUE(out.work.overrides.at(add.service).reals.at({ip("198.51.100.31"), 8080}).added);
}

// Deleting a checked real asks for the checkers to be re-applied (its checker stops).
TEST_F(RuntimeEditsTest, DeletingACheckedRealChangesHealth) {
  auto out = run({realEdit(RuntimeEdit::Op::kDeleteReal, "198.51.100.11", 80)});
  ASSERT_FALSE(out.refusal);
  EXPECT_TRUE(out.work.healthChanged);
  EXPECT_EQ(out.work.services.at(key("192.0.2.10", 80))->reals.size(), 1u);
  out = run({realEdit(RuntimeEdit::Op::kDeleteReal, "198.51.100.12", 80)});
  ASSERT_FALSE(out.refusal);
  EXPECT_FALSE(out.work.healthChanged);
}

// A reload names every override it discards, with the value it had and the config's.
TEST_F(RuntimeEditsTest, ReloadNamesWhatItDiscards) {
  auto drain = realEdit(RuntimeEdit::Op::kEditReal, "198.51.100.11", 80);
  drain.weight = 0;
  RuntimeEdit sched;
  sched.op = RuntimeEdit::Op::kEditService;
  sched.service = key("192.0.2.10", 80);
  sched.scheduler = "wrr";
  RuntimeEdit add;
  add.op = RuntimeEdit::Op::kAddService;
  add.service = key("192.0.2.30", 8080);
  auto out = run({drain, sched, add, realEdit(RuntimeEdit::Op::kDeleteReal, "198.51.100.12", 80)});
  commit(out);
  auto lines = discardedByReload(overrides_, lookup(), config_);
  std::vector<std::string> want = {
      "runtime override discarded by reload: scheduler of TCP 192.0.2.10:80 (was wrr, config says "
      "rr)",
      "runtime override discarded by reload: deletion of real 198.51.100.12:80 in TCP "
      "192.0.2.10:80 (config has it)",
      "runtime override discarded by reload: weight of 198.51.100.11:80 in TCP 192.0.2.10:80 (was "
      "0, config says 3)",
      "runtime override discarded by reload: added virtual service TCP 192.0.2.30:8080 (not in the "
      "config)",
  };
  EXPECT_EQ(lines, want);
}

}  // namespace
}  // namespace ha::director
