// The connection-count schedulers (lc wlc sed nq ovf) steered from conntrack. IPVS picks each new
// connection from its live counters; nftables cannot pick a minimum, so the node follows these
// services' flows through conntrack's events (LiveConnections) and keeps each one's slot table
// holding IPVS's next picks (director/sched/least_connection.h). A rebuild is an element edit of
// the service's 16 slots, at most one transaction per kSteerEvery for all services together.
#include <unistd.h>

#include <algorithm>

#include "common/log.h"
#include "director/nft/patch.h"
#include "director/nft/render.h"
#include "director/node/node.h"
#include "director/sched/scheduler.h"

namespace ha::director {
namespace {

std::set<uint32_t> countedServices(const ForwardingPlan& plan) {
  std::set<uint32_t> ids;
  for (const auto& [id, sp] : plan.services) {
    const Scheduler* scheduler = findScheduler(sp.scheduler);
    if (scheduler != nullptr && scheduler->countsConnections()) ids.insert(id);
  }
  return ids;
}

}  // namespace

void Node::followConnectionCounts() {
  auto wanted = countedServices(plan_);
  if (wanted.empty()) {
    stopFollowingConnections();
    return;
  }
  if (!flowEvents_) {
    Result<std::unique_ptr<conntrack::ConntrackPort>> opened =
        ports_.openFlowEvents ? ports_.openFlowEvents()
                              : Error{"this node has no conntrack event feed"};
    int fd = opened ? dup(opened.value()->eventFd()) : -1;
    if (fd < 0) {
      if (!steerUnavailableLogged_) {
        log::error("connection-count schedulers (lc wlc sed nq ovf): " +
                   (opened ? std::string("no event descriptor") : opened.error()) +
                   "; their tables spread new connections by weight alone");
      }
      steerUnavailableLogged_ = true;
      return;
    }
    flowEvents_ = std::move(opened.value());
    flowEventsWatch_ = std::make_unique<boost::asio::posix::stream_descriptor>(io_, fd);
    awaitFlowEvents();
  }
  bool newServices =
      !std::includes(liveConnections_.followed().begin(), liveConnections_.followed().end(),
                     wanted.begin(), wanted.end());
  liveConnections_.follow(wanted);
  std::erase_if(loads_, [&](const auto& entry) { return wanted.count(entry.first) == 0; });
  // The event feed is open before the dump, so no flow falls between the two.
  if (newServices) resyncConnectionCounts();
  steerDirty_.insert(wanted.begin(), wanted.end());
  scheduleSteer();
}

void Node::stopFollowingConnections() {
  if (flowEventsWatch_) flowEventsWatch_->cancel();
  flowEventsWatch_.reset();
  flowEvents_.reset();
  steerTimer_.cancel();
  steerScheduled_ = false;
  steerDirty_.clear();
  liveConnections_.follow({});
  loads_.clear();
}

void Node::resyncConnectionCounts() {
  auto flows = ports_.conntrack->flows();
  if (!flows) {
    log::error("connection-count schedulers: reading our flows: " + flows.error());
    return;
  }
  liveConnections_.reset(flows.value());
  const auto& followed = liveConnections_.followed();
  steerDirty_.insert(followed.begin(), followed.end());
}

void Node::awaitFlowEvents() {
  flowEventsWatch_->async_wait(boost::asio::posix::descriptor_base::wait_read,
                               [this](const boost::system::error_code& ec) {
                                 if (ec || !flowEvents_) return;
                                 readFlowEvents();
                                 if (flowEventsWatch_) awaitFlowEvents();
                               });
}

void Node::readFlowEvents() {
  std::vector<conntrack::FlowUpdate> updates;
  auto read = flowEvents_->readEvents(updates);
  if (!read) {
    log::warning("connection-count schedulers: conntrack events: " + read.error());
    return;
  }
  if (read->overrun) {
    // The kernel dropped events: only a dump tells the counts again.
    log::warning(
        "connection-count schedulers: conntrack events lost (receive queue full); counts re-read");
    resyncConnectionCounts();
  } else {
    for (const auto& update : updates) {
      if (auto id = liveConnections_.apply(update)) steerDirty_.insert(*id);
    }
  }
  scheduleSteer();
}

void Node::scheduleSteer() {
  if (steerScheduled_ || steerDirty_.empty() || !flowEvents_) return;
  steerScheduled_ = true;
  const TimePoint now = Clock::now();
  const Duration wait = std::max(
      {Duration::zero(), Duration(lastSteer_ + kSteerEvery - now), Duration(steerRetryAt_ - now)});
  steerTimer_.expires_after(wait);
  steerTimer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    steerScheduled_ = false;
    steerTables();
  });
}

void Node::steerTables() {
  lastSteer_ = Clock::now();
  if (!started_) return;
  auto dirty = std::move(steerDirty_);
  steerDirty_.clear();
  ForwardingPlan before, after;
  for (auto* p : {&before, &after}) {
    p->hashSeed = plan_.hashSeed;
    p->laddrGroups = plan_.laddrGroups;
    p->drDevices = plan_.drDevices;
    p->bpfDevices = plan_.bpfDevices;
    p->tableOwnership = plan_.tableOwnership;
  }
  for (uint32_t id : dirty) {
    auto planned = plan_.services.find(id);
    if (planned == plan_.services.end()) continue;
    auto index = serviceIndex_.find(planned->second.key);
    if (index == serviceIndex_.end()) continue;
    loads_[id] = ServiceLoad{liveConnections_.loadOf(id),
                             std::max<uint32_t>(1, liveConnections_.takeArrivals(id))};
    auto sp =
        replanService(config_, &health_, plan_, config_.virtualServers[index->second], id, &loads_);
    if (!sp) {
      log::error("connection counts of " + planned->second.key.str() +
                 " not applied: " + sp.error());
      continue;
    }
    if (sp->slots == planned->second.slots) {
      planned->second = std::move(sp.value());  // new counts, same table: nothing for the kernel
      continue;
    }
    before.services[id] = planned->second;
    after.services[id] = std::move(sp.value());
  }
  if (after.services.empty()) return;
  auto changed = nft::changedServices(before, after);
  for (auto& [id, sp] : after.services) plan_.services[id] = std::move(sp);
  auto tx = nft::patchServices(installed_, before, plan_, changed);
  if (auto st = ports_.nft->commit(tx); !st) {
    for (auto& [id, sp] : before.services) {
      plan_.services[id] = std::move(sp);
      steerDirty_.insert(id);
    }
    installed_ = nft::render(plan_);  // the kernel still holds the old tables
    log::error("connection-count tables not applied, nf_tables transaction failed (retried in " +
               std::to_string(kSteerRetryAfter.count()) + " ms): " + st.error());
    steerRetryAt_ = Clock::now() + kSteerRetryAfter;
    scheduleSteer();  // a quiet service sends no event that would try again
  }
}

}  // namespace ha::director
