// RFC 5798 §6.4 (and RFC 3768 §6.4 for v2) as a pure function of (state, event, now). Where the
// RFCs are silent, or where keepalived 2.2.7 deliberately differs, the line names the keepalived
// function whose behaviour it follows, so interop with a keepalived peer stays predictable.
#include "vrrp/state_machine.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace ha::vrrp {
namespace {

// keepalived vrrp_complete_instance() (vrrp.c): priority 255 cannot be nopreempt, `state MASTER`
// clears nopreempt and preempt_delay, and preempt_delay means nothing without preemption.
Params normalized(Params p) {
  if (p.priority == kPriorityStop) p.priority = 1;  // 0 is reserved for "master leaving"
  if (p.priority == kPriorityOwner || p.initialState == InitialState::kMaster) p.preempt = true;
  if (p.priority == kPriorityOwner || p.initialState == InitialState::kMaster || !p.preempt) {
    p.preemptDelay = Duration::zero();
  }
  return p;
}

// RFC 5798 §6.4.3: "the primary IP address of the sender is greater than the local primary IP
// address" — unsigned, in network byte order (keepalived vrrp_saddr_cmp() -> inet_sockaddrcmp()).
// Mixed families never compare (keepalived returns 0), so neither side yields on the address.
int compareAddresses(const IpAddress& theirs, const IpAddress& ours) {
  if (theirs.family() != ours.family()) return 0;
  return std::memcmp(theirs.bytes(), ours.bytes(), ours.size());
}

}  // namespace

Params paramsFrom(const InstanceConfig& config, const IpAddress& primaryAddress) {
  Params p;
  p.version = config.version;
  p.priority = config.priority;
  p.advertInterval = config.advertInterval;
  p.preempt = config.preempt;
  p.preemptDelay = config.preemptDelay;
  p.initialState = config.initialState;
  p.primaryAddress = primaryAddress;
  p.trackSync = config.trackSync;
  return normalized(p);
}

StateMachine::StateMachine(const Params& params)
    : params_(normalized(params)),
      priority_(params_.priority),
      masterAdverInterval_(params_.advertInterval) {}

Duration StateMachine::skewTime() const {
  // Integer arithmetic in nanoseconds: exact whenever the interval is a multiple of 256 ns (every
  // whole millisecond and 10 ms step is), otherwise truncated by less than a nanosecond.
  const int64_t weight = 256 - int64_t{priority_};
  if (params_.version == Version::kV2) {
    return Duration(std::chrono::seconds(1)) * weight / 256;  // RFC 3768 §6.1
  }
  return masterAdverInterval_ * weight / 256;  // RFC 5798 §6.1
}

Duration StateMachine::masterDownInterval() const {
  return 3 * masterAdverInterval_ + skewTime();  // RFC 5798 §6.1, RFC 3768 §6.1
}

Actions StateMachine::handle(const Event& event, TimePoint now) {
  Actions actions;
  std::visit([&](const auto& e) { on(e, now, actions); }, event);
  // The complete timer state, so the router only re-arms. A preempt delay that has run out is not
  // reported: re-arming it would fire PreemptDelayExpired again and again.
  actions.masterDownAt = masterDownAt_;
  actions.adverAt = adverAt_;
  if (preemptTime_ && *preemptTime_ > now) actions.preemptDelayUntil = preemptTime_;
  return actions;
}

void StateMachine::on(const event::Startup&, TimePoint now, Actions& actions) {
  if (state_ != State::kInitialize) return;
  // keepalived vrrp_init_state(): an interface or script already down at start means FAULT.
  if (faulted_) return becomeFault("starting while faulted: " + faultReason_, actions);
  // RFC 5798 §6.4.1: the address owner goes straight to Master, unless track_sync holds it
  // back: taking over before the bulk arrived would reset every flow the current master carries.
  if (owner() && !waitingForSync()) {
    return becomeMaster(now, "address owner (priority 255) starting", actions);
  }
  // RFC 5798 §6.4.1: Master_Adver_Interval = Advertisement_Interval, Master_Down_Timer armed.
  // keepalived 2.2.7 vrrp_init_state() treats `state MASTER` below 255 the same way: only the
  // owner (or a reload of a running master) takes the fast path.
  masterAdverInterval_ = params_.advertInterval;
  becomeBackup(now, owner() ? "startup (waiting for connection sync)" : "startup", actions);
}

void StateMachine::on(const event::Shutdown&, TimePoint, Actions& actions) {
  if (state_ == State::kInitialize) return;
  if (state_ == State::kMaster) {
    // RFC 5798 §6.4.3 Shutdown: cancel Adver_Timer, send priority 0, Initialize.
    actions.sendAdvertPriority = kPriorityStop;
    actions.releaseAddresses = true;
  }
  masterDownAt_.reset();  // RFC 5798 §6.4.2 Shutdown: cancel Master_Down_Timer
  adverAt_.reset();
  preemptTime_.reset();
  stoppedMaster_.reset();
  masterAddress_.reset();
  masterAdverInterval_ = params_.advertInterval;
  moveTo(State::kInitialize, "shutdown", actions);
}

void StateMachine::on(const event::AdvertReceived& advert, TimePoint now, Actions& actions) {
  // Initialize and Fault ignore adverts (keepalived vrrp_dispatcher_read()).
  if (state_ == State::kBackup) advertAsBackup(advert, now);
  if (state_ == State::kMaster) advertAsMaster(advert, now, actions);
}

void StateMachine::learnInterval(const event::AdvertReceived& advert) {
  // RFC 5798 §6.4.2/§6.4.3: v3 learns Master_Adver_Interval from the advert; v2 has no such field
  // and keeps the configured interval (RFC 3768 §6.4.2). A zero interval would make a zero-length
  // Master_Down_Timer and a takeover storm, so it is not learned.
  if (params_.version == Version::kV3 && advert.maxAdverInterval > Duration::zero()) {
    masterAdverInterval_ = advert.maxAdverInterval;
  } else if (params_.version == Version::kV2) {
    masterAdverInterval_ = params_.advertInterval;
  }
}

void StateMachine::advertAsBackup(const event::AdvertReceived& advert, TimePoint now) {
  if (advert.priority == kPriorityStop) {
    // RFC 5798 §6.4.2: the master is leaving; Master_Down_Timer = Skew_Time.
    masterDownAt_ = now + skewTime();
    stoppedMaster_ = advert.source;
    return;
  }
  // keepalived vrrp_state_backup(): while a preempt delay is pending (or not yet started) a
  // lower-priority master is accepted like a higher one.
  const bool delaying = params_.preemptDelay > Duration::zero() &&
                        (!preemptTime_ || *preemptTime_ > now);
  // track_sync before the bulk: as with preempt = false, so the master keeps its flows.
  const bool waiting = waitingForSync();
  if (!params_.preempt || waiting || advert.priority >= priority_ || delaying) {
    // RFC 5798 §6.4.2: learn the interval, reset Master_Down_Timer.
    learnInterval(advert);
    masterDownAt_ = now + masterDownInterval();
    masterAddress_ = advert.source;
    stoppedMaster_.reset();
    // The preempt delay counts from the first lower-priority advert once sync is ready.
    if (params_.preemptDelay > Duration::zero() && !waiting) {
      // keepalived vrrp_state_backup(): the delay starts at the first lower-priority advert and
      // is forgotten as soon as a master we would not preempt shows up.
      if (advert.priority >= priority_) {
        preemptTime_.reset();
      } else if (!preemptTime_) {
        preemptTime_ = now + params_.preemptDelay;
      }
    }
    return;
  }
  // RFC 5798 §6.4.2: preempt and a lower priority: discard. Master_Down_Timer keeps running from
  // the last accepted advert, and its expiry makes us master.
  masterAddress_ = advert.source;
}

void StateMachine::advertAsMaster(const event::AdvertReceived& advert, TimePoint now,
                                  Actions& actions) {
  if (advert.priority == kPriorityStop) {
    // RFC 5798 §6.4.3: another master is leaving; advertise at once so backups keep us.
    return sendAdvert(now, actions);
  }
  const int cmp = compareAddresses(advert.source, params_.primaryAddress);
  if (advert.priority > priority_ || (advert.priority == priority_ && cmp > 0)) {
    // RFC 5798 §6.4.3: yield. keepalived vrrp_state_master_rx() learns the interval (v3) and
    // vrrp_state_leave_master() sends no priority-0 advert on this path. But first one advert at
    // our own priority (keepalived's higher_prio_send_advert, which we always do): two masters
    // mean a healing split brain, and when the other one's advert reaches us before ours reaches
    // it, this advert is the only way it learns to announce its addresses again -- without it the
    // router and the reals keep sending to us until their ARP entries expire.
    sendAdvert(now, actions);
    std::string reason = advert.priority > priority_
                             ? "higher priority " + std::to_string(advert.priority) + " from "
                             : "equal priority " + std::to_string(advert.priority) +
                                   " from higher address ";
    reason += advert.source.str();
    learnInterval(advert);
    becomeBackup(now, std::move(reason), actions);
    masterAddress_ = advert.source;
    return;
  }
  if (advert.priority < priority_ || cmp < 0) {
    // RFC 5798 §6.4.3 discards a lower-priority advert; keepalived vrrp_state_master_rx() (unless
    // lower_prio_no_advert) answers it at once so the other master yields within one delivery
    // instead of up to one Advertisement_Interval. The Adver_Timer restarts from this advert.
    sendAdvert(now, actions);
    // Two masters means a split brain is healing: the other one announced the addresses last, so
    // the router and the reals still send to it, and it stops serving as soon as it yields.
    // keepalived vrrp_state_master_rx() sends gratuitous ARPs here too (garp_lower_prio_repeat,
    // defaulting to garp_master_repeat). At most once per Master_Down_Interval: a peer that keeps
    // advertising a lower priority without yielding must not turn us into an ARP flood.
    if (!reannouncedAt_ || now - *reannouncedAt_ >= masterDownInterval()) {
      actions.reannounceAddresses = true;
      reannouncedAt_ = now;
    }
  }
  // Same priority and our own address: our advert looped back; nothing to do.
}

void StateMachine::on(const event::MasterDownExpired&, TimePoint now, Actions& actions) {
  // A stale expiry (the deadline moved after the router's timer fired) is ignored.
  if (state_ != State::kBackup || !masterDownAt_ || now < *masterDownAt_) return;
  std::string reason = "master down timer expired";
  if (stoppedMaster_) reason += " (master " + stoppedMaster_->str() + " sent priority 0)";
  becomeMaster(now, std::move(reason), actions);  // RFC 5798 §6.4.2
}

void StateMachine::on(const event::AdverExpired&, TimePoint now, Actions& actions) {
  if (state_ != State::kMaster || !adverAt_ || now < *adverAt_) return;
  sendAdvert(now, actions);  // RFC 5798 §6.4.3: send an ADVERTISEMENT, reset Adver_Timer
}

void StateMachine::on(const event::PreemptDelayExpired&, TimePoint, Actions&) {
  // Nothing to do now: advertAsBackup() compares preemptTime_ with the advert's time, so the next
  // lower-priority advert is discarded and Master_Down_Timer runs out (keepalived has no timer
  // for this either). handle() stops reporting the deadline once it has passed.
}

void StateMachine::on(const event::PriorityChanged& change, TimePoint, Actions&) {
  // keepalived vrrp_set_effective_priority(): the owner's priority never changes.
  if (owner()) return;
  const auto next = static_cast<uint8_t>(std::clamp<int>(change.priority, 1, kPriorityOwner - 1));
  if (next == priority_) return;
  const Duration before = masterDownInterval();
  priority_ = next;
  // A master just advertises the new priority from its next advert on. A backup's running
  // Master_Down_Timer moves by the change of Skew_Time, as if it had been armed with the new
  // priority (keepalived vrrp_set_effective_priority() shifts vrrp->sands the same way).
  if (state_ == State::kBackup && masterDownAt_) *masterDownAt_ += masterDownInterval() - before;
}

void StateMachine::on(const event::FaultChanged& fault, TimePoint now, Actions& actions) {
  if (fault.faulted) {
    faulted_ = true;
    faultReason_ = fault.reason.empty() ? "fault" : fault.reason;
    if (state_ == State::kBackup || state_ == State::kMaster) becomeFault(faultReason_, actions);
    return;
  }
  if (!faulted_) return;
  faulted_ = false;
  faultReason_.clear();
  if (state_ != State::kFault) return;
  std::string reason = fault.reason.empty() ? "fault cleared" : fault.reason;
  // keepalived try_up_instance(): the owner goes straight back to MASTER (not while track_sync
  // waits: that would preempt); anyone else to BACKUP with the configured interval and a full
  // Master_Down_Timer (vrrp_state_leave_fault()).
  if (owner() && !waitingForSync()) return becomeMaster(now, std::move(reason), actions);
  masterAdverInterval_ = params_.advertInterval;
  becomeBackup(now, std::move(reason), actions);
}

void StateMachine::on(const event::SyncReadyChanged& change, TimePoint, Actions&) {
  if (change.ready == syncReady_) return;
  syncReady_ = change.ready;
  // Ready: nothing now; advertAsBackup() discards the next lower-priority advert and
  // Master_Down_Timer takes us over, as any preempting backup. Not ready again: a preempt delay
  // already counting starts over once sync is back.
  if (!syncReady_ && params_.trackSync && state_ == State::kBackup) preemptTime_.reset();
}

void StateMachine::on(const event::GroupFollow& follow, TimePoint now, Actions& actions) {
  // keepalived vrrp_sync_master()/vrrp_sync_backup()/vrrp_sync_fault(): members not already in
  // the target state are forced there. A stopped instance does not follow, and one with its own
  // fault stays in FAULT until that fault clears.
  std::string reason = follow.reason.empty() ? "sync group" : follow.reason;
  const bool groupFault = state_ == State::kFault && !faulted_;
  switch (follow.target) {
    case State::kMaster:
      if (state_ == State::kBackup || groupFault) becomeMaster(now, std::move(reason), actions);
      return;
    case State::kBackup:
      if (groupFault) masterAdverInterval_ = params_.advertInterval;
      if (state_ == State::kMaster || groupFault) becomeBackup(now, std::move(reason), actions);
      return;
    case State::kFault:
      if (state_ == State::kBackup || state_ == State::kMaster) {
        becomeFault(std::move(reason), actions);
      }
      return;
    case State::kInitialize:
      return;
  }
}

void StateMachine::sendAdvert(TimePoint now, Actions& actions) {
  actions.sendAdvertPriority = priority_;
  adverAt_ = now + params_.advertInterval;  // RFC 5798 §6.4.3: reset Adver_Timer
}

void StateMachine::becomeMaster(TimePoint now, std::string reason, Actions& actions) {
  // RFC 5798 §6.4.1/§6.4.2: send an ADVERTISEMENT, then claim and announce the addresses
  // (keepalived vrrp_state_master_tx() sends first so the old master drops them first).
  sendAdvert(now, actions);
  actions.takeAddresses = true;
  masterDownAt_.reset();
  preemptTime_.reset();
  stoppedMaster_.reset();
  masterAdverInterval_ = params_.advertInterval;  // we are the master: ours is the interval
  masterAddress_ = params_.primaryAddress;
  moveTo(State::kMaster, std::move(reason), actions);
}

void StateMachine::becomeBackup(TimePoint now, std::string reason, Actions& actions) {
  if (state_ == State::kMaster) actions.releaseAddresses = true;  // RFC 5798 §6.4.3
  adverAt_.reset();
  preemptTime_.reset();  // keepalived vrrp_state_leave_master()/leave_fault() reset preempt_time
  stoppedMaster_.reset();
  masterAddress_.reset();
  masterDownAt_ = now + masterDownInterval();
  moveTo(State::kBackup, std::move(reason), actions);
}

void StateMachine::becomeFault(std::string reason, Actions& actions) {
  if (state_ == State::kMaster) {
    // keepalived vrrp_state_leave_master() with wantstate FAULT: priority 0, so a backup takes
    // over after Skew_Time rather than a full Master_Down_Interval.
    actions.sendAdvertPriority = kPriorityStop;
    actions.releaseAddresses = true;
  }
  masterDownAt_.reset();
  adverAt_.reset();
  preemptTime_.reset();
  stoppedMaster_.reset();
  masterAddress_.reset();
  moveTo(State::kFault, std::move(reason), actions);
}

void StateMachine::moveTo(State to, std::string reason, Actions& actions) {
  actions.transition = Transition{state_, to, std::move(reason)};
  state_ = to;
}

}  // namespace ha::vrrp
