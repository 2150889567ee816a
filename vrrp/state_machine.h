#pragma once
// One VRRP instance's protocol, RFC 5798 §6.4 (Initialize / Backup / Master) plus keepalived's
// FAULT state and knobs (preempt_delay, sync groups). Pure: no sockets, no timers, no clock — the
// router feeds it events with the time they happened and carries out the actions it returns
// (STYLE.md §1).
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
  InitialState initialState = InitialState::kBackup;
  IpAddress primaryAddress;  // ours, as sent in the IP source: tie-break (RFC 5798 §6.4.3)
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
// A sync-group sibling changed state: follow it (keepalived's vrrp_sync_group semantics).
struct GroupFollow {
  State target = State::kBackup;
  std::string reason;
};
}  // namespace event

using Event = std::variant<event::Startup, event::Shutdown, event::AdvertReceived,
                           event::MasterDownExpired, event::AdverExpired,
                           event::PreemptDelayExpired, event::PriorityChanged,
                           event::FaultChanged, event::GroupFollow>;

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
  std::optional<TimePoint> masterDownAt;
  std::optional<TimePoint> adverAt;
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

 private:
  // implementation-defined members
  Params params_;
  State state_ = State::kInitialize;
  uint8_t priority_;
  Duration masterAdverInterval_;
  std::optional<IpAddress> masterAddress_;
};

}  // namespace ha::vrrp
