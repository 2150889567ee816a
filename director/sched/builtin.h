#pragma once
// The built-in schedulers, one per file under their IPVS names; registry.cc is the only place that
// lists them.
#include "director/sched/scheduler.h"

namespace ha::director {

const Scheduler& rrScheduler();
const Scheduler& wrrScheduler();
const Scheduler& shScheduler();
const Scheduler& mhScheduler();
const Scheduler& foScheduler();
// least_connection.cc: the connection-count schedulers.
const Scheduler& lcScheduler();
const Scheduler& wlcScheduler();
const Scheduler& sedScheduler();
const Scheduler& nqScheduler();
const Scheduler& ovfScheduler();

}  // namespace ha::director
