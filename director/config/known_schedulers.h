#pragma once
// The scheduler names the config accepts: asked of the scheduler registry (director/sched), the
// only list of names, so a new scheduler is known to the config the day it is registered.
#include <string>
#include <string_view>

namespace ha::director::config {

// rr wrr lc wlc sed nq fo ovf sh mh.
bool isKnownScheduler(std::string_view name);
// Why an IPVS scheduler directord does not build is refused, or the list of the ones it does.
std::string unknownSchedulerReason(std::string_view name);
// sh and mh: the real is a function of the flow, so it can be picked before conntrack (DR, TUN).
bool isFlowHashScheduler(std::string_view name);

}  // namespace ha::director::config
