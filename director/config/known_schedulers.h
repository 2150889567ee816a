#pragma once
// The scheduler names the config accepts. The scheduler registry (director/sched) is the real list;
// ha_director_config must not depend on sched (config is built first), so this mirrors it and a
// sched test should assert the two agree.
#include <string_view>

namespace ha::director::config {

// rr, wrr, sh, mh.
bool isKnownScheduler(std::string_view name);
// sh and mh: the real is a function of the flow, so it can be picked before conntrack (DR, TUN).
bool isFlowHashScheduler(std::string_view name);

}  // namespace ha::director::config
