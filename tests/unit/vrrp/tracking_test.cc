// evaluateTracking(): an instance's effective priority and FAULT from its config and what is
// known of links, scripts and virtual-server quorums, one table row per rule.
#include "vrrp/tracking.h"

#include <gtest/gtest.h>

namespace ha::vrrp {
namespace {

// Base: priority 100 on lan0 (up); scripts: chk_plus (+20), chk_minus (-30), chk_zero (0),
// chk_initfail (+10, init_fail).
struct Row {
  const char* what;
  std::vector<TrackedInterface> interfaces;
  std::vector<TrackedScript> scripts;
  std::vector<TrackedVirtualServer> virtualServers;
  TrackingState state;
  TrackingVerdict expected;
  uint8_t priority = 100;
};

std::vector<ScriptConfig> scripts() {
  std::vector<ScriptConfig> out;
  for (auto [name, weight, initFail] :
       {std::tuple{"chk_plus", 20, false}, std::tuple{"chk_minus", -30, false},
        std::tuple{"chk_zero", 0, false}, std::tuple{"chk_initfail", 10, true}}) {
    ScriptConfig s;
    s.name = name;
    s.weight = weight;
    s.initFail = initFail;
    out.push_back(s);
  }
  return out;
}

TrackingState links(std::map<std::string, bool> up, std::map<std::string, bool> scripts = {},
                    std::map<std::string, bool> quorum = {}) {
  up.emplace("lan0", true);
  return TrackingState{std::move(scripts), std::move(up), std::move(quorum)};
}

const Row kRows[] = {
    {"nothing tracked: the base priority", {}, {}, {}, links({}), {100, false, ""}},
    {"own interface down: FAULT",
     {},
     {},
     {},
     links({{"lan0", false}}),
     {100, true, "interface lan0 down"}},
    {"own interface never reported: down",
     {},
     {},
     {},
     TrackingState{},
     {100, true, "interface lan0 down"}},
    {"interface weight -30 while down",
     {{"eth1", -30}},
     {},
     {},
     links({{"eth1", false}}),
     {70, false, ""}},
    {"interface weight -30 while up: nothing",
     {{"eth1", -30}},
     {},
     {},
     links({{"eth1", true}}),
     {100, false, ""}},
    {"interface weight +15 while up",
     {{"eth1", 15}},
     {},
     {},
     links({{"eth1", true}}),
     {115, false, ""}},
    {"interface weight 0 down: FAULT",
     {{"eth1", 0}},
     {},
     {},
     links({{"eth1", false}}),
     {100, true, "interface eth1 down"}},
    {"script +20 healthy",
     {},
     {{"chk_plus", {}}},
     {},
     links({}, {{"chk_plus", true}}),
     {120, false, ""}},
    {"script +20 never run (INIT): no weight",
     {},
     {{"chk_plus", {}}},
     {},
     links({}),
     {100, false, ""}},
    {"script -30 failing",
     {},
     {{"chk_minus", {}}},
     {},
     links({}, {{"chk_minus", false}}),
     {70, false, ""}},
    {"track_script weight overrides the script's",
     {},
     {{"chk_plus", -5}},
     {},
     links({}, {{"chk_plus", false}}),
     {95, false, ""}},
    {"init_fail script never run counts as failed",
     {},
     {{"chk_initfail", -40}},
     {},
     links({}),
     {60, false, ""}},
    {"weight-0 script failing: FAULT",
     {},
     {{"chk_zero", {}}},
     {},
     links({}, {{"chk_zero", false}}),
     {100, true, "script chk_zero failed"}},
    {"unknown script is ignored", {}, {{"chk_nope", {}}}, {}, links({}), {100, false, ""}},
    {"virtual server weight -50 without quorum",
     {},
     {},
     {{"TCP 192.0.2.1:80", -50}},
     links({}, {}, {{"TCP 192.0.2.1:80", false}}),
     {50, false, ""}},
    {"virtual server never reported: up",
     {},
     {},
     {{"TCP 192.0.2.1:80", 10}},
     links({}),
     {110, false, ""}},
    {"virtual server weight 0 without quorum: FAULT",
     {},
     {},
     {{"TCP 192.0.2.1:80", 0}},
     links({}, {}, {{"TCP 192.0.2.1:80", false}}),
     {100, true, "virtual server TCP 192.0.2.1:80 quorum lost"}},
    {"weights add up and clamp at 1",
     {{"eth1", -60}},
     {{"chk_minus", {}}},
     {{"TCP 192.0.2.1:80", -50}},
     links({{"eth1", false}}, {{"chk_minus", false}}, {{"TCP 192.0.2.1:80", false}}),
     {1, false, ""}},
    {"weights clamp at 254",
     {{"eth1", 100}},
     {{"chk_plus", {}}},
     {},
     links({{"eth1", true}}, {{"chk_plus", true}}),
     {254, false, ""},
     200},
    {"the owner keeps 255",
     {{"eth1", -60}},
     {},
     {},
     links({{"eth1", false}}),
     {255, false, ""},
     255},
    {"every cause named, in order",
     {{"eth1", 0}},
     {{"chk_zero", {}}},
     {{"TCP 192.0.2.1:80", 0}},
     links({{"lan0", false}, {"eth1", false}}, {{"chk_zero", false}},
           {{"TCP 192.0.2.1:80", false}}),
     {100, true,
      "interface lan0 down, interface eth1 down, script chk_zero failed, virtual server TCP "
      "192.0.2.1:80 quorum lost"}},
};

// Each row: the verdict for its config and state.
TEST(VrrpTracking, Table) {
  for (const Row& row : kRows) {
    InstanceConfig c;
    c.name = "VI_1";
    c.interface = "lan0";
    c.priority = row.priority;
    c.trackInterfaces = row.interfaces;
    c.trackScripts = row.scripts;
    c.trackVirtualServers = row.virtualServers;
    const TrackingVerdict got = evaluateTracking(c, scripts(), row.state);
    EXPECT_EQ(got.priority, row.expected.priority) << row.what;
    EXPECT_EQ(got.fault, row.expected.fault) << row.what;
    EXPECT_EQ(got.faultReason, row.expected.faultReason) << row.what;
  }
}

}  // namespace
}  // namespace ha::vrrp
