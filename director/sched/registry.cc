#include <array>
#include <functional>

#include "director/sched/builtin.h"
#include "director/sched/scheduler.h"

namespace ha::director {
namespace {

// The only list of schedulers; each one's name() is the IPVS name it implements.
const std::array<std::reference_wrapper<const Scheduler>, 10>& allSchedulers() {
  static const std::array<std::reference_wrapper<const Scheduler>, 10> kAll = {
      rrScheduler(), wrrScheduler(), shScheduler(),  mhScheduler(), foScheduler(),
      lcScheduler(), wlcScheduler(), sedScheduler(), nqScheduler(), ovfScheduler()};
  return kAll;
}

}  // namespace

const Scheduler* findScheduler(std::string_view name) {
  for (const Scheduler& s : allSchedulers()) {
    if (s.name() == name) return &s;
  }
  return nullptr;
}

std::vector<std::string_view> schedulerNames() {
  std::vector<std::string_view> names;
  for (const Scheduler& s : allSchedulers()) names.push_back(s.name());
  return names;
}

}  // namespace ha::director
