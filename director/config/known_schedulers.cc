#include "director/config/known_schedulers.h"

#include "director/sched/scheduler.h"

namespace ha::director::config {

bool isKnownScheduler(std::string_view name) { return findScheduler(name) != nullptr; }

std::string unknownSchedulerReason(std::string_view name) {
  if (name == "lblc" || name == "lblcr") {
    return "locality-based schedulers keep a server per destination address (a transparent cache "
           "cluster's); for a virtual_server address that destination is the VIP itself, and "
           "directord keeps no per-destination table: use wlc, or sh/mh for client locality";
  }
  if (name == "dh") {
    return "destination hashing spreads the packet's destination addresses, and the destination of "
           "every flow of a virtual_server address is its VIP: use sh or mh";
  }
  std::string known;
  for (std::string_view n : schedulerNames()) known += (known.empty() ? "" : ", ") + std::string(n);
  return "expected one of " + known;
}

bool isFlowHashScheduler(std::string_view name) {
  const Scheduler* scheduler = findScheduler(name);
  return scheduler != nullptr && scheduler->pick() == SlotPick::kFlowHash;
}

}  // namespace ha::director::config
