#pragma once
// The scheduler names the config accepts: asked of the scheduler registry (director/sched), the
// only list of names, so a new scheduler is known to the config the day it is registered.
#include <string_view>

namespace ha::director::config {

// rr, wrr, sh, mh.
bool isKnownScheduler(std::string_view name);
// sh and mh: the real is a function of the flow, so it can be picked before conntrack (DR, TUN).
bool isFlowHashScheduler(std::string_view name);

}  // namespace ha::director::config
