#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "director/config/known_schedulers.h"
#include "director/sched/scheduler.h"

namespace ha::director {
namespace {

// The registry lists exactly the IPVS schedulers we implement, in a fixed order.
TEST(SchedulerRegistry, ListsExactlyTheImplementedIpvsSchedulers) {
  std::vector<std::string_view> expected = {"rr", "wrr", "sh",  "mh", "fo",
                                            "lc", "wlc", "sed", "nq", "ovf"};
  EXPECT_EQ(schedulerNames(), expected);
}

// Every listed name resolves to a scheduler reporting that name; flow-hash ones pick by jhash.
TEST(SchedulerRegistry, FindsEachListedSchedulerByName) {
  for (std::string_view name : schedulerNames()) {
    const Scheduler* s = findScheduler(name);
    ASSERT_NE(s, nullptr) << name;
    EXPECT_EQ(s->name(), name);
  }
  EXPECT_EQ(findScheduler("rr")->pick(), SlotPick::kRotation);
  EXPECT_EQ(findScheduler("wrr")->pick(), SlotPick::kRotation);
  EXPECT_EQ(findScheduler("sh")->pick(), SlotPick::kFlowHash);
  EXPECT_EQ(findScheduler("mh")->pick(), SlotPick::kFlowHash);
  for (std::string_view counting : {"lc", "wlc", "sed", "nq", "ovf"}) {
    EXPECT_TRUE(findScheduler(counting)->countsConnections()) << counting;
    EXPECT_EQ(findScheduler(counting)->pick(), SlotPick::kRotation) << counting;
  }
  for (std::string_view fixed : {"rr", "wrr", "sh", "mh", "fo"}) {
    EXPECT_FALSE(findScheduler(fixed)->countsConnections()) << fixed;
  }
}

// The IPVS schedulers directord does not build are refused with their reason.
TEST(SchedulerRegistry, RefusedSchedulersSayWhy) {
  for (std::string_view name : {"lblc", "lblcr", "dh"}) {
    EXPECT_EQ(findScheduler(name), nullptr) << name;
    EXPECT_NE(config::unknownSchedulerReason(name).find("VIP"), std::string::npos) << name;
  }
  EXPECT_EQ(config::unknownSchedulerReason("twos"),
            "expected one of rr, wrr, sh, mh, fo, lc, wlc, sed, nq, ovf");
}

// Unknown or differently-cased names give nullptr rather than a default scheduler.
TEST(SchedulerRegistry, UnknownNamesGiveNullptr) {
  EXPECT_EQ(findScheduler("lblc"), nullptr);
  EXPECT_EQ(findScheduler(""), nullptr);
  EXPECT_EQ(findScheduler("RR"), nullptr);
  EXPECT_EQ(findScheduler("rr "), nullptr);
}

// Every scheduler gives an empty table, tagged with its pick, for an empty set of reals.
TEST(SchedulerRegistry, EmptyInputGivesEmptyTable) {
  for (std::string_view name : schedulerNames()) {
    SlotTable table = findScheduler(name)->build({}, SchedulerParams{});
    EXPECT_TRUE(table.slots.empty()) << name;
    EXPECT_EQ(table.pick, findScheduler(name)->pick()) << name;
  }
}

// config/known_schedulers asks this registry (sched sits below config); the two agree on every
// IPVS scheduler name and on which ones hash the flow.
TEST(SchedulerRegistry, ConfigMirrorAgrees) {
  for (std::string_view name : {"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq",
                                "fo", "ovf", "mh", "twos", ""}) {
    const Scheduler* s = findScheduler(name);
    EXPECT_EQ(config::isKnownScheduler(name), s != nullptr) << name;
    if (s != nullptr) {
      EXPECT_EQ(config::isFlowHashScheduler(name), s->pick() == SlotPick::kFlowHash) << name;
    }
  }
}

}  // namespace
}  // namespace ha::director
