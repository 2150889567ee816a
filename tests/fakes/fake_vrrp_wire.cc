#include "tests/fakes/fake_vrrp_wire.h"

#include <cstdlib>
#include <utility>

namespace ha::test {

using vrrp::State;
namespace event = vrrp::event;

FakeVrrpWire::FakeVrrpWire(ManualClock& clock, Duration delay) : clock_(clock), delay_(delay) {}

FakeVrrpWire::~FakeVrrpWire() {
  for (auto& r : routers_) disarm(*r);
}

FakeVrrpWire::Router& FakeVrrpWire::at(size_t router) {
  if (router >= routers_.size()) std::abort();
  return *routers_[router];
}

const FakeVrrpWire::Router& FakeVrrpWire::at(size_t router) const {
  if (router >= routers_.size()) std::abort();
  return *routers_[router];
}

size_t FakeVrrpWire::addRouter(const vrrp::Params& params, uint8_t vrid) {
  auto r = std::make_unique<Router>();
  r->params = params;
  r->vrid = vrid;
  routers_.push_back(std::move(r));
  return routers_.size() - 1;
}

size_t FakeVrrpWire::addSyncGroup(std::vector<size_t> routers, std::string name) {
  const size_t index = groups_.size();
  auto g = std::make_unique<Group>(
      Group{routers, vrrp::SyncGroup(routers.size(), std::move(name))});
  for (size_t m = 0; m < routers.size(); ++m) {
    at(routers[m]).group = index;
    at(routers[m]).member = m;
  }
  groups_.push_back(std::move(g));
  return index;
}

void FakeVrrpWire::start(size_t router) {
  Router& r = at(router);
  if (r.machine) return;
  r.machine = std::make_unique<vrrp::StateMachine>(r.params);
  ++r.boot;
  const TimePoint now = clock_.now();
  // What the router knows before the instance starts: its tracked priority and faults.
  if (r.priority) r.machine->handle(event::PriorityChanged{*r.priority}, now);
  if (r.faulted) r.machine->handle(event::FaultChanged{true, r.faultReason}, now);
  feed(router, event::Startup{});
}

void FakeVrrpWire::stop(size_t router) {
  Router& r = at(router);
  if (!r.machine) return;
  feed(router, event::Shutdown{});
  disarm(r);
  r.machine.reset();
  r.holding = false;
}

void FakeVrrpWire::crash(size_t router) {
  Router& r = at(router);
  if (!r.machine) return;
  disarm(r);
  r.machine.reset();
  r.holding = false;
}

void FakeVrrpWire::restart(size_t router) {
  crash(router);
  start(router);
}

void FakeVrrpWire::partition(size_t router, bool isolated) { at(router).isolated = isolated; }

void FakeVrrpWire::healAll() {
  for (auto& r : routers_) {
    r->isolated = false;
    r->dropNext = 0;
  }
}

void FakeVrrpWire::dropNext(size_t router, size_t count) { at(router).dropNext += count; }

void FakeVrrpWire::setPriority(size_t router, uint8_t priority) {
  at(router).priority = priority;
  feed(router, event::PriorityChanged{priority});
}

void FakeVrrpWire::setFault(size_t router, bool faulted, std::string reason) {
  Router& r = at(router);
  r.faulted = faulted;
  r.faultReason = reason;
  if (!r.group) return feed(router, event::FaultChanged{faulted, std::move(reason)});
  Group& g = *groups_[*r.group];
  for (auto& d : g.sync.faultChanged(r.member, faulted, std::move(reason))) {
    feed(g.routers[d.member], d.event);
  }
}

State FakeVrrpWire::state(size_t router) const {
  const Router& r = at(router);
  return r.machine ? r.machine->state() : State::kInitialize;
}

bool FakeVrrpWire::running(size_t router) const { return at(router).machine != nullptr; }
bool FakeVrrpWire::holdsAddresses(size_t router) const { return at(router).holding; }
bool FakeVrrpWire::isolated(size_t router) const { return at(router).isolated; }

size_t FakeVrrpWire::masterCount() const {
  size_t n = 0;
  for (size_t i = 0; i < routers_.size(); ++i) n += state(i) == State::kMaster ? 1 : 0;
  return n;
}

size_t FakeVrrpWire::masterCount(uint8_t vrid) const {
  size_t n = 0;
  for (size_t i = 0; i < routers_.size(); ++i) {
    n += routers_[i]->vrid == vrid && state(i) == State::kMaster ? 1 : 0;
  }
  return n;
}

size_t FakeVrrpWire::holderCount() const {
  size_t n = 0;
  for (const auto& r : routers_) n += r->holding ? 1 : 0;
  return n;
}

const vrrp::StateMachine& FakeVrrpWire::machine(size_t router) const {
  const Router& r = at(router);
  if (!r.machine) std::abort();
  return *r.machine;
}

const vrrp::SyncGroup& FakeVrrpWire::syncGroup(size_t group) const {
  if (group >= groups_.size()) std::abort();
  return groups_[group]->sync;
}

std::optional<TimePoint> FakeVrrpWire::lastEntered(size_t router, State state) const {
  for (auto it = changes_.rbegin(); it != changes_.rend(); ++it) {
    if (it->router == router && it->transition.to == state) return it->at;
  }
  return std::nullopt;
}

void FakeVrrpWire::feed(size_t router, const vrrp::Event& event) {
  Router& r = at(router);
  if (!r.machine) return;
  execute(router, r.machine->handle(event, clock_.now()));
}

void FakeVrrpWire::execute(size_t router, const vrrp::Actions& actions) {
  Router& r = at(router);
  // The order vrrp::Router uses: advert first (the old master drops the addresses before our
  // announcements), then addresses, then timers, then notifications.
  if (actions.sendAdvertPriority) send(router, *actions.sendAdvertPriority);
  if (actions.releaseAddresses) r.holding = false;
  if (actions.takeAddresses) r.holding = true;
  if (actions.takeAddresses || (actions.reannounceAddresses && r.holding)) {
    announcements_.push_back({clock_.now(), router});
  }
  arm(router, r.masterDown, actions.masterDownAt, event::MasterDownExpired{});
  arm(router, r.adver, actions.adverAt, event::AdverExpired{});
  arm(router, r.preempt, actions.preemptDelayUntil, event::PreemptDelayExpired{});
  if (!actions.transition) return;
  changes_.push_back(Change{clock_.now(), router, *actions.transition});
  if (listener_) listener_(changes_.back());
  if (!r.group) return;
  Group& g = *groups_[*r.group];
  for (auto& d : g.sync.onTransition(r.member, *actions.transition)) {
    feed(g.routers[d.member], d.event);
  }
}

void FakeVrrpWire::send(size_t router, uint8_t priority) {
  Router& r = at(router);
  const TimePoint now = clock_.now();
  const bool lost = r.isolated || r.dropNext > 0;
  if (r.dropNext > 0) --r.dropNext;
  sent_.push_back(Sent{now, router, priority, lost});
  if (lost) {
    lastLossAt_ = now;
    return;
  }
  // What vrrp::Router feeds from a decoded advert: v3 carries the sender's interval; for v2 the
  // state machine ignores the field.
  const event::AdvertReceived advert{r.params.primaryAddress, priority, r.params.advertInterval};
  for (size_t to = 0; to < routers_.size(); ++to) {
    if (to == router || routers_[to]->vrid != r.vrid) continue;
    clock_.schedule(now + delay_, [this, alive = std::weak_ptr<int>(alive_), to,
                                   boot = routers_[to]->boot, advert] {
      if (alive.expired()) return;
      deliver(to, boot, advert);
    });
  }
}

void FakeVrrpWire::deliver(size_t to, uint64_t boot, const event::AdvertReceived& advert) {
  Router& r = at(to);
  if (!r.machine || r.boot != boot) return;  // the receiver died (or rebooted) meanwhile
  if (r.isolated) {
    lastLossAt_ = clock_.now();
    return;
  }
  feed(to, advert);
}

void FakeVrrpWire::arm(size_t router, Timer& timer, std::optional<TimePoint> wanted,
                       vrrp::Event event) {
  if (timer.at == wanted) return;
  if (timer.id) clock_.cancel(*timer.id);
  timer.id.reset();
  timer.at = wanted;
  if (!wanted) return;
  timer.id = clock_.schedule(*wanted, [this, alive = std::weak_ptr<int>(alive_), router, &timer,
                                       event = std::move(event)] {
    if (alive.expired()) return;
    timer.id.reset();
    timer.at.reset();
    feed(router, event);
  });
}

void FakeVrrpWire::disarm(Router& r) {
  for (Timer* t : {&r.masterDown, &r.adver, &r.preempt}) {
    if (t->id) clock_.cancel(*t->id);
    t->id.reset();
    t->at.reset();
  }
}

}  // namespace ha::test
