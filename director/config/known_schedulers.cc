#include "director/config/known_schedulers.h"

#include "director/sched/scheduler.h"

namespace ha::director::config {

bool isKnownScheduler(std::string_view name) { return findScheduler(name) != nullptr; }

bool isFlowHashScheduler(std::string_view name) {
  const Scheduler* scheduler = findScheduler(name);
  return scheduler != nullptr && scheduler->pick() == SlotPick::kFlowHash;
}

}  // namespace ha::director::config
