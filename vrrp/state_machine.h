#pragma once
// One VRRP instance's protocol, RFC 5798 §6.4 (Initialize / Backup / Master) plus keepalived's
// FAULT state and knobs (preempt_delay, sync groups). Pure: no sockets, no timers, no clock — the
// router feeds it events with the time they happened and carries out the actions it returns
// (docs/style.md §1). Where the RFC is silent it does what keepalived 2.2.7 does; state_machine.cc
// names the keepalived function for each such choice.
#include <optional>
#include <string>
#include <variant>

#include "common/clock.h"
#include "common/ip_address.h"
#include "vrrp/vrrp_config.h"

namespace ha::vrrp {

enum class State : uint8_t { kInitialize, kBackup, kMaster, kFault };
std::string_view stateName(State state);  // "INIT", "BACKUP", "MASTER", "FAULT" (keepalived's)

struct Params {
  Version version = Version::kV3;
  uint8_t priority = 100;            // configured (base) priority; 255 = address owner
  Duration advertInterval = std::chrono::seconds(1);
  bool preempt = true;
  Duration preemptDelay{0};
  // keepalived's `state MASTER`: below priority 255 it starts as BACKUP and waits a full
  // Master_Down_Interval like any backup (keepalived 2.2.7 vrrp_init_state()); it only clears
  // nopreempt and preempt_delay (StateMachine normalizes them, as vrrp_complete_instance() does).
  InitialState initialState = InitialState::kBackup;
  IpAddress primaryAddress;  // ours, as sent in the IP source: tie-break (RFC 5798 §6.4.3)
  // Our track_sync: until SyncReadyChanged{true} the instance never preempts (it starts as BACKUP
  // even as the owner, and accepts a lower-priority master as with nopreempt); it still takes
  // over when Master_Down_Timer expires: with no master at all, serving beats black-holing.
  bool trackSync = false;
};
Params paramsFrom(const InstanceConfig& config, const IpAddress& primaryAddress);

namespace event {
struct Startup {};
struct Shutdown {};
struct AdvertReceived {
  IpAddress source;
  uint8_t priority = 0;
  Duration maxAdverInterval{};  // v3: from the packet; v2: the configured interval
};
struct MasterDownExpired {};
struct AdverExpired {};
// The preempt delay ran out. Informational: the next lower-priority advert is then discarded and
// the running Master_Down_Timer takes us over (keepalived compares preempt_time with now).
struct PreemptDelayExpired {};
// Effective priority after track_script / track_interface weights (clamped to 1..254 by the caller;
// an owner's 255 never changes).
struct PriorityChanged {
  uint8_t priority = 0;
};
// A tracked interface or weightless script failed (true) or recovered (false).
struct FaultChanged {
  bool faulted = false;
  std::string reason;
};
// Connection sync has (true) or no longer has (false) every live peer's bulk. Only instances with
// Params::trackSync care; nothing changes at once (the next lower-priority advert preempts).
struct SyncReadyChanged {
  bool ready = false;
};
// A sync-group sibling changed state: follow it (keepalived's vrrp_sync_group semantics).
struct GroupFollow {
  State target = State::kBackup;
  std::string reason;
};
}  // namespace event

using Event = std::variant<event::Startup, event::Shutdown, event::AdvertReceived,
                           event::MasterDownExpired, event::AdverExpired,
                           event::PreemptDelayExpired, event::PriorityChanged,
                           event::FaultChanged, event::SyncReadyChanged, event::GroupFollow>;

struct Transition {
  State from = State::kInitialize;
  State to = State::kInitialize;
  std::string reason;  // "higher priority 150 from 198.51.100.3", "master down timer expired"
};

// What the router does after an event, in this order: send, addresses, notify. Deadlines are the
// complete timer state after the event (nullopt = disarmed), so the router just re-arms.
struct Actions {
  std::optional<Transition> transition;
  std::optional<uint8_t> sendAdvertPriority;  // send one advert now with this priority
  bool takeAddresses = false;     // add the virtual addresses and announce them (GARP/NA)
  bool releaseAddresses = false;  // remove them
  // A master heard a lower-priority master: announce the addresses it holds again, so neighbours
  // that followed the other one's announcements (a healed split brain) come back to us.
  bool reannounceAddresses = false;
  std::optional<TimePoint> masterDownAt;
  std::optional<TimePoint> adverAt;
  // Only while in the future; the router fires PreemptDelayExpired there.
  std::optional<TimePoint> preemptDelayUntil;
};

class StateMachine {
 public:
  explicit StateMachine(const Params& params);
  Actions handle(const Event& event, TimePoint now);

  State state() const { return state_; }
  uint8_t priority() const { return priority_; }  // effective
  Duration masterAdverInterval() const { return masterAdverInterval_; }
  std::optional<IpAddress> masterAddress() const { return masterAddress_; }
  // RFC 5798 §6.1: Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256 (v3);
  // RFC 3768 §6.1: (256 - Priority) / 256 seconds (v2).
  Duration skewTime() const;
  // RFC 5798 §6.1: Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time.
  Duration masterDownInterval() const;

  // The parameters after keepalived's normalization (see Params::initialState).
  const Params& params() const { return params_; }
  // The armed deadlines, as the last Actions reported them.
  std::optional<TimePoint> masterDownAt() const { return masterDownAt_; }
  std::optional<TimePoint> adverAt() const { return adverAt_; }
  // When a backup may start preempting a lower-priority master (keepalived's preempt_time); may
  // lie in the past once the delay has run out.
  std::optional<TimePoint> preemptTime() const { return preemptTime_; }
  // The instance's own fault condition (FaultChanged), as opposed to a sync group's.
  bool faulted() const { return faulted_; }
  // track_sync and connection sync not ready yet: no preemption.
  bool waitingForSync() const { return params_.trackSync && !syncReady_; }

 private:
  bool owner() const { return params_.priority == kPriorityOwner; }
  void on(const event::Startup&, TimePoint now, Actions& actions);
  void on(const event::Shutdown&, TimePoint now, Actions& actions);
  void on(const event::AdvertReceived& advert, TimePoint now, Actions& actions);
  void on(const event::MasterDownExpired&, TimePoint now, Actions& actions);
  void on(const event::AdverExpired&, TimePoint now, Actions& actions);
  void on(const event::PreemptDelayExpired&, TimePoint now, Actions& actions);
  void on(const event::PriorityChanged& change, TimePoint now, Actions& actions);
  void on(const event::FaultChanged& fault, TimePoint now, Actions& actions);
  void on(const event::SyncReadyChanged& change, TimePoint now, Actions& actions);
  void on(const event::GroupFollow& follow, TimePoint now, Actions& actions);
  void advertAsBackup(const event::AdvertReceived& advert, TimePoint now);
  void advertAsMaster(const event::AdvertReceived& advert, TimePoint now, Actions& actions);
  void learnInterval(const event::AdvertReceived& advert);
  void sendAdvert(TimePoint now, Actions& actions);
  void becomeMaster(TimePoint now, std::string reason, Actions& actions);
  void becomeBackup(TimePoint now, std::string reason, Actions& actions);
  void becomeFault(std::string reason, Actions& actions);
  void moveTo(State to, std::string reason, Actions& actions);

  Params params_;
  State state_ = State::kInitialize;
  uint8_t priority_;
  Duration masterAdverInterval_;
  std::optional<IpAddress> masterAddress_;
  std::optional<TimePoint> masterDownAt_;
  std::optional<TimePoint> adverAt_;
  std::optional<TimePoint> preemptTime_;
  std::optional<IpAddress> stoppedMaster_;  // sent priority 0; names the takeover's reason
  std::optional<TimePoint> reannouncedAt_;  // the last reannounceAddresses (rate limit)
  bool faulted_ = false;
  std::string faultReason_;
  bool syncReady_ = false;  // SyncReadyChanged; read only with Params::trackSync
};

}  // namespace ha::vrrp
