#include "vrrp/router.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "common/log.h"
#include "vrrp/tracking.h"

namespace ha::vrrp {
namespace {

std::string prefixed(const InstanceConfig& c, std::string_view what) {
  return "(" + c.name + ") " + std::string(what);
}

OwnedAddress owned(const InstanceConfig& config, const VirtualAddress& address) {
  return OwnedAddress{address.prefix, address.dev.empty() ? config.interface : address.dev,
                      address.label};
}

std::array<uint8_t, kV2AuthSize> authBytes(const InstanceConfig& c) {
  std::array<uint8_t, kV2AuthSize> data{};
  if (c.authType == AuthType::kSimplePassword) {
    std::copy_n(c.authPass.begin(), std::min(c.authPass.size(), data.size()), data.begin());
  }
  return data;
}

uint16_t centiseconds(Duration d) {
  return static_cast<uint16_t>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count() / 10);
}

// Kept across a reload only when nothing but source positions changed; anything else restarts it.
// Routes and rules are not the instance's identity either: a reload changes only their difference.
InstanceConfig withoutLocations(InstanceConfig c) {
  c.location.clear();
  c.routes.clear();
  c.rules.clear();
  for (auto& a : c.addresses) a.location.clear();
  for (auto& a : c.excludedAddresses) a.location.clear();
  return c;
}
bool sameInstance(const InstanceConfig& a, const InstanceConfig& b) {
  return withoutLocations(a) == withoutLocations(b);
}

}  // namespace

struct Router::Instance {
  Instance(Timers& timers, InstanceConfig c)
      : config(std::move(c)),
        masterDownTimer(timers.timer()),
        adverTimer(timers.timer()),
        preemptTimer(timers.timer()),
        burstTimer(timers.timer()),
        refreshTimer(timers.timer()) {}

  InstanceConfig config;
  uint32_t ifindex = 0;
  IpAddress source;
  std::unique_ptr<StateMachine> machine;
  // Destroyed (so cancelled) with the instance: no timer outlives what it would dispatch to.
  std::unique_ptr<Timer> masterDownTimer, adverTimer, preemptTimer, burstTimer, refreshTimer;
  std::optional<TimePoint> masterDownAt, adverAt, preemptAt;
  std::vector<IpAddress> advertised;  // virtual_ipaddress, not the excluded ones
  std::vector<OwnedAddress> addresses;  // both lists, as the address owner sees them
  std::vector<uint32_t> addressIfindexes;  // where each of them is announced
  Expectations expected;
  bool holding = false;
  std::string fault;
  InstanceCounters counters;
  uint64_t transitions = 0;
  std::string lastTransition;
  std::chrono::system_clock::time_point lastTransitionAt{};
  Group* group = nullptr;
  size_t memberIndex = 0;
};

struct Router::Group {
  SyncGroupConfig config;
  std::vector<Instance*> members;
  std::unique_ptr<SyncGroup> coordinator;
  State state = State::kInitialize;
};

Router::Router(RouterPorts ports, RouterHooks hooks) : ports_(ports), hooks_(std::move(hooks)) {}

Router::~Router() = default;

Status Router::prepare(const InstanceConfig& config, Instance& instance) {
  auto why = [&](const std::string& reason) {
    return Error{"instance " + config.name + " not started: " + reason};
  };
  if (config.addresses.empty()) return why("no virtual addresses configured");
  auto link = ports_.links.link(config.interface);
  if (!link) return why(link.error());
  instance.ifindex = link->ifindex;
  tracking_.linkUp[link->name] = link->up;
  for (const auto& a : config.addresses) instance.advertised.push_back(a.prefix.address);
  // Interfaces are looked up here, once: announcements and tracking then read what events keep
  // current, with no netlink round trip on the takeover path.
  for (const auto* list : {&config.addresses, &config.excludedAddresses}) {
    for (const auto& a : *list) {
      instance.addresses.push_back(owned(config, a));
      auto dev = ports_.links.link(instance.addresses.back().dev);
      if (!dev) return why("virtual_ipaddress " + a.prefix.str() + ": " + dev.error());
      instance.addressIfindexes.push_back(dev->ifindex);
    }
  }
  for (const auto& t : config.trackInterfaces) {
    auto tracked = ports_.links.link(t.name);
    if (!tracked) return why("track_interface " + tracked.error());
    tracking_.linkUp[tracked->name] = tracked->up;
  }
  if (auto st = prepareRouting(config); !st) return why(st.error());
  if (config.unicastSource) {
    instance.source = *config.unicastSource;
  } else {
    std::vector<IpAddress> exclude;
    for (const auto& a : instance.addresses) exclude.push_back(a.prefix.address);
    auto primary = ports_.links.primaryAddress(instance.ifindex, config.family, exclude);
    if (!primary) return why(primary.error());
    instance.source = *primary;
  }
  if (auto st = ports_.transport.attach(instance.ifindex, config.family); !st) return why(st.error());
  ++attached_[{instance.ifindex, config.family}];
  instance.expected = Expectations{config.version, instance.advertised.size(),
                                   centiseconds(config.advertInterval), config.authType,
                                   authBytes(config), config.unicastPeers};
  instance.machine = std::make_unique<StateMachine>(paramsFrom(config, instance.source));
  return okStatus();
}

Status Router::apply(const VrrpConfig& config) {
  // Prepare everything new before touching anything running: a refusal changes nothing.
  std::vector<std::unique_ptr<Instance>> fresh(config.instances.size());
  std::vector<size_t> keptFrom(config.instances.size(), instances_.size());
  std::string refusals;
  for (size_t n = 0; n < config.instances.size(); ++n) {
    const auto& c = config.instances[n];
    for (size_t o = 0; o < instances_.size(); ++o) {
      if (sameInstance(instances_[o]->config, c) &&
          std::find(keptFrom.begin(), keptFrom.end(), o) == keptFrom.end()) {
        keptFrom[n] = o;
        break;
      }
    }
    if (keptFrom[n] < instances_.size()) continue;
    fresh[n] = std::make_unique<Instance>(ports_.timers, c);
    if (auto st = prepare(c, *fresh[n]); !st) {
      refusals += (refusals.empty() ? "" : "; ") + st.error();
    }
  }
  if (!refusals.empty()) {
    for (auto& f : fresh) {
      if (f && f->machine) release(f->ifindex, f->config.family);
    }
    return Error{refusals};
  }
  std::vector<std::unique_ptr<Instance>> next;
  for (size_t n = 0; n < config.instances.size(); ++n) {
    next.push_back(keptFrom[n] < instances_.size() ? std::move(instances_[keptFrom[n]])
                                                   : std::move(fresh[n]));
    if (keptFrom[n] < instances_.size()) {
      Instance& kept = *next.back();
      updateRouting(kept.config, kept.holding, config.instances[n]);
    }
  }
  for (auto& old : instances_) {
    if (old) stopInstance(*old);  // removed or changed: hand over, then go
  }
  instances_ = std::move(next);
  config_ = config;
  groups_.clear();
  for (const auto& g : config.syncGroups) {
    auto group = std::make_unique<Group>();
    group->config = g;
    for (const auto& member : g.members) {
      for (auto& i : instances_) {
        if (i->config.name != member) continue;
        i->group = group.get();
        i->memberIndex = group->members.size();
        group->members.push_back(i.get());
      }
    }
    group->coordinator = std::make_unique<SyncGroup>(group->members.size(), g.name);
    std::vector<std::string> names;
    for (auto* m : group->members) names.push_back(m->config.name);
    group->coordinator->setMemberNames(std::move(names));
    for (size_t m = 0; m < group->members.size(); ++m) {
      const Instance& member = *group->members[m];
      if (member.machine->state() == State::kInitialize) continue;  // new: starts below
      const bool ownFault = !member.fault.empty();
      group->coordinator->restore(m, member.machine->state(), ownFault,
                                  !ownFault && member.machine->faulted());
    }
    group->state = group->coordinator->state();
    groups_.push_back(std::move(group));
  }
  for (auto& i : instances_) {
    if (i->group == nullptr) i->memberIndex = 0;
    if (i->machine->state() == State::kInitialize) start(*i);
    else reevaluateTracking(*i);
  }
  return okStatus();
}

void Router::start(Instance& instance) {
  // A crashed predecessor (kill -9) leaves the addresses configured: a backup must not hold them.
  clearRouting(instance.config);
  for (const auto& a : instance.addresses) {
    if (auto st = ports_.addresses.purge(a); !st) log::warning(prefixed(instance.config, st.error()));
  }
  log::info(prefixed(instance.config, "starting: vrid " + std::to_string(instance.config.vrid) +
                                          " on " + instance.config.interface + " from " +
                                          instance.source.str()));
  // Before Startup: an owner with track_sync decides on it whether to start as MASTER, and an
  // instance whose tracking already fails starts in FAULT (keepalived vrrp_init_state()) rather
  // than passing through BACKUP or, as the owner, MASTER with its adverts and announcements.
  if (syncReady_) dispatch(instance, event::SyncReadyChanged{true});
  reevaluateTracking(instance);
  dispatch(instance, event::Startup{});
}

void Router::stopInstance(Instance& instance) {
  dispatch(instance, event::Shutdown{});
  releaseAddresses(instance);
  for (auto* timer : {&instance.masterDownTimer, &instance.adverTimer, &instance.preemptTimer,
                      &instance.burstTimer, &instance.refreshTimer}) {
    (*timer)->cancel();
  }
  release(instance.ifindex, instance.config.family);
}

void Router::release(uint32_t ifindex, Family family) {
  // Instances on one interface share its socket: detach with the last of them.
  auto it = attached_.find({ifindex, family});
  if (it == attached_.end() || --it->second > 0) return;
  attached_.erase(it);
  ports_.transport.detach(ifindex, family);
}

void Router::shutdown() {
  for (auto& i : instances_) {
    stopInstance(*i);
    if (hooks_.notifyInstance) hooks_.notifyInstance(i->config, State::kInitialize, 0);
  }
  instances_.clear();
  groups_.clear();
}

void Router::dispatch(Instance& instance, const Event& event) {
  if (!instance.machine) return;
  execute(instance, instance.machine->handle(event, ports_.timers.now()));
}

void Router::execute(Instance& instance, const Actions& actions) {
  if (actions.sendAdvertPriority) sendAdvert(instance, *actions.sendAdvertPriority);
  if (actions.releaseAddresses) releaseAddresses(instance);
  if (actions.takeAddresses) takeAddresses(instance);
  if (actions.reannounceAddresses && instance.holding) {
    log::info(prefixed(instance.config, "a lower-priority master is advertising: announcing our addresses again"));
    // keepalived's garp_lower_prio_repeat / _delay default to garp_master_repeat / _delay.
    announceBurst(instance, instance.config.garp.masterRepeat);
    if (instance.config.garp.masterDelay > Duration::zero()) {
      scheduleAnnounce(instance, instance.config.garp.masterDelay, false);
    }
  }
  arm(instance, *instance.masterDownTimer, instance.masterDownAt, actions.masterDownAt,
      event::MasterDownExpired{});
  arm(instance, *instance.adverTimer, instance.adverAt, actions.adverAt, event::AdverExpired{});
  arm(instance, *instance.preemptTimer, instance.preemptAt, actions.preemptDelayUntil,
      event::PreemptDelayExpired{});
  if (actions.transition) onTransition(instance, *actions.transition);
}

void Router::arm(Instance& instance, Timer& timer, std::optional<TimePoint>& armed,
                 std::optional<TimePoint> wanted, Event event) {
  if (armed == wanted) return;
  armed = wanted;
  timer.cancel();
  if (!wanted) return;
  timer.arm(*wanted, [this, &instance, &armed, event = std::move(event)] {
    armed.reset();
    dispatch(instance, event);
  });
}

void Router::sendAdvert(Instance& instance, uint8_t priority) {
  const auto& c = instance.config;
  Advertisement advert{c.version,  c.vrid,      priority, centiseconds(c.advertInterval),
                       c.authType, authBytes(c), instance.advertised};
  std::vector<IpAddress> destinations = c.unicastPeers;
  if (destinations.empty()) destinations.push_back(multicastGroup(c.family));
  for (const auto& destination : destinations) {
    auto bytes = encode(advert, instance.source, destination);
    if (auto st = ports_.transport.send(instance.ifindex, instance.source, destination, bytes); !st) {
      if (instance.counters.sendErrors++ == 0) log::warning(prefixed(c, st.error()));
      continue;
    }
    ++instance.counters.advertsSent;
    if (priority == kPriorityStop) ++instance.counters.priorityZeroSent;
  }
}

void Router::takeAddresses(Instance& instance) {
  for (const auto& a : instance.addresses) {
    if (auto st = ports_.addresses.claim(a); !st) log::error(prefixed(instance.config, st.error()));
  }
  instance.holding = true;
  takeRouting(instance.config);
  const auto& garp = instance.config.garp;
  announceBurst(instance, garp.masterRepeat);
  if (garp.masterDelay > Duration::zero()) scheduleAnnounce(instance, garp.masterDelay, false);
  if (garp.masterRefresh > Duration::zero()) scheduleAnnounce(instance, garp.masterRefresh, true);
}

void Router::releaseAddresses(Instance& instance) {
  instance.burstTimer->cancel();
  instance.refreshTimer->cancel();
  if (!instance.holding) return;
  instance.holding = false;
  releaseRouting(instance.config);
  for (auto it = instance.addresses.rbegin(); it != instance.addresses.rend(); ++it) {
    if (auto st = ports_.addresses.remove(*it); !st) log::error(prefixed(instance.config, st.error()));
  }
}

void Router::announceBurst(Instance& instance, uint32_t repeat) {
  // Each round announces every address once; garp_interval spaces the rounds (0: back to back).
  for (uint32_t round = 0; round < repeat; ++round) {
    for (size_t n = 0; n < instance.addresses.size(); ++n) {
      const auto& address = instance.addresses[n].prefix.address;
      if (auto st = ports_.announcer.announce(instance.addressIfindexes[n], address); !st) {
        log::debug(prefixed(instance.config, st.error()));
      }
    }
  }
}

void Router::scheduleAnnounce(Instance& instance, Duration after, bool refresh) {
  auto& timer = refresh ? *instance.refreshTimer : *instance.burstTimer;
  timer.arm(ports_.timers.now() + after, [this, &instance, after, refresh] {
    if (!instance.holding) return;
    const auto& garp = instance.config.garp;
    announceBurst(instance, refresh ? garp.masterRefreshRepeat : garp.masterRepeat);
    if (refresh) scheduleAnnounce(instance, after, true);
  });
}

void Router::onTransition(Instance& instance, const Transition& t) {
  ++instance.transitions;
  if (t.to == State::kMaster) ++instance.counters.becameMaster;
  if (t.from == State::kMaster) ++instance.counters.releasedMaster;
  instance.lastTransition = std::string(stateName(t.from)) + " -> " +
                            std::string(stateName(t.to)) + ": " + t.reason;
  instance.lastTransitionAt = ports_.timers.wallNow();
  log::info(prefixed(instance.config, "Entering " + std::string(stateName(t.to)) + " STATE (" +
                                          t.reason + ")"));
  if (t.to != State::kInitialize && hooks_.notifyInstance) {
    hooks_.notifyInstance(instance.config, t.to, instance.machine->priority());
  }
  if (hooks_.roleChanged) {
    RoleChange change{instance.config.name, t.from, t.to, t.reason, {}};
    for (const auto& a : instance.addresses) change.addresses.push_back(a.prefix);
    hooks_.roleChanged(change);
  }
  Group* group = instance.group;
  if (group == nullptr || followingGroup_) return;
  followingGroup_ = true;  // the followers' own transitions must not re-trigger the group
  for (const auto& [member, event] : group->coordinator->onTransition(instance.memberIndex, t)) {
    if (member < group->members.size()) dispatch(*group->members[member], event);
  }
  followingGroup_ = false;
  State groupState = t.to;
  if (groupState != group->state && t.to != State::kInitialize) {
    group->state = groupState;
    if (hooks_.notifyGroup) hooks_.notifyGroup(group->config, groupState);
  }
}

void Router::onPacket(const ReceivedPacket& packet) {
  ++counters_.received;
  const Family family = packet.ctx.source.family();
  // The VRID is byte 1 of both versions: it names the instance whose counters a drop goes to.
  Instance* instance = packet.payload.size() >= 2
                           ? findInstance(packet.ifindex, family, packet.payload[1])
                           : nullptr;
  auto drop = [&](DropReason reason) {
    auto& counters = instance ? instance->counters.dropped : counters_.dropped;
    ++counters[static_cast<size_t>(reason)];
  };
  auto decoded = decode(packet.payload, packet.ctx);
  if (auto* reason = std::get_if<DropReason>(&decoded)) return drop(*reason);
  const auto& advert = std::get<Advertisement>(decoded);
  if (instance == nullptr) return drop(DropReason::kUnknownVrid);
  if (auto reason = checkAgainst(advert, instance->expected)) return drop(*reason);
  if (packet.ctx.source == instance->source) return;  // our own, looped back
  if (auto reason = checkSender(packet.ctx.source, instance->expected)) return drop(*reason);
  if (advert.addresses != instance->advertised) ++instance->counters.addressListMismatch;
  ++instance->counters.advertsReceived;
  if (advert.priority == kPriorityStop) ++instance->counters.priorityZeroReceived;
  Duration interval = instance->config.version == Version::kV3
                          ? std::chrono::milliseconds(advert.adverIntervalCs * 10)
                          : instance->config.advertInterval;
  dispatch(*instance, event::AdvertReceived{packet.ctx.source, advert.priority, interval});
}

Router::Instance* Router::findInstance(uint32_t ifindex, Family family, uint8_t vrid) {
  for (auto& i : instances_) {
    if (i->ifindex == ifindex && i->config.family == family && i->config.vrid == vrid) {
      return i.get();
    }
  }
  return nullptr;
}

void Router::onLinkChange(const LinkState& link) {
  auto known = tracking_.linkUp.find(link.name);
  if (known != tracking_.linkUp.end() && known->second == link.up) return;
  tracking_.linkUp[link.name] = link.up;
  for (auto& i : instances_) reevaluateTracking(*i);
}

void Router::onScriptChange(const std::string& script, bool healthy) {
  tracking_.scriptHealthy[script] = healthy;
  for (auto& i : instances_) reevaluateTracking(*i);
}

void Router::onVirtualServerQuorum(const std::string& name, bool up) {
  auto known = tracking_.quorumUp.find(name);
  if (known != tracking_.quorumUp.end() && known->second == up) return;
  tracking_.quorumUp[name] = up;
  for (auto& i : instances_) reevaluateTracking(*i);
}

void Router::setSyncReady(bool ready) {
  if (ready == syncReady_) return;
  syncReady_ = ready;
  for (auto& i : instances_) {
    if (!i->config.trackSync) continue;
    log::info(prefixed(i->config, ready ? "connection sync ready: preemption allowed"
                                        : "connection sync not ready: no preemption"));
    dispatch(*i, event::SyncReadyChanged{ready});
  }
}

void Router::reevaluateTracking(Instance& instance) {
  // Sync-group members arrive with their weights already dropped by the config (as keepalived
  // does, unless sync_group_tracking_weight).
  const TrackingVerdict outcome = evaluateTracking(instance.config, config_.scripts, tracking_);
  if (outcome.priority != instance.machine->priority()) {
    dispatch(instance, event::PriorityChanged{outcome.priority});
  }
  if (outcome.fault == !instance.fault.empty() && outcome.faultReason == instance.fault) return;
  instance.fault = outcome.fault ? outcome.faultReason : "";
  std::string reason = outcome.fault ? outcome.faultReason : "fault cleared";
  if (instance.group == nullptr) {
    dispatch(instance, event::FaultChanged{outcome.fault, reason});
    return;
  }
  // Through the group: a member that recovers stays in FAULT while a sibling is still faulted.
  Group& group = *instance.group;
  for (auto& d : group.coordinator->faultChanged(instance.memberIndex, outcome.fault, reason)) {
    if (d.member < group.members.size()) dispatch(*group.members[d.member], d.event);
  }
}

RouterSnapshot Router::snapshot() const {
  RouterSnapshot snap;
  snap.counters = counters_;
  auto& out = snap.instances;
  for (const auto& i : instances_) {
    InstanceStatus s;
    s.name = i->config.name;
    s.interface = i->config.interface;
    s.syncGroup = i->group ? i->group->config.name : "";
    s.vrid = i->config.vrid;
    s.version = i->config.version;
    s.family = i->config.family;
    s.state = i->machine->state();
    s.basePriority = i->config.priority;
    s.effectivePriority = i->machine->priority();
    s.advertInterval = i->config.advertInterval;
    s.masterAdverInterval = i->machine->masterAdverInterval();
    s.master = s.state == State::kMaster ? std::optional<IpAddress>(i->source)
                                         : i->machine->masterAddress();
    s.source = i->source;
    s.transitions = i->transitions;
    s.lastTransition = i->lastTransition;
    s.lastTransitionAt = i->lastTransitionAt;
    s.fault = i->fault;
    s.trackSync = i->config.trackSync;
    s.waitingForSync = i->machine->waitingForSync();
    s.preemptTime = i->machine->preemptTime();
    for (const auto& a : i->addresses) s.addresses.push_back(a.prefix.str() + " dev " + a.dev);
    s.counters = i->counters;
    out.push_back(std::move(s));
  }
  return snap;
}

}  // namespace ha::vrrp
