#pragma once
// The VRRP router: runs one StateMachine per vrrp_instance on the VRRP io_context thread and
// carries out what they return — adverts through the Transport, virtual addresses through the
// AddressOwner, announcements through the Announcer, time and timers through Timers — plus tracking
// (interfaces, scripts), sync groups, counters and notify hooks. Everything here runs on that one
// thread; other threads reach it only through vrrp::Service (posted work).
#include <array>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/netlink/address_owner.h"
#include "common/netlink/routing_owner.h"
#include "vrrp/packet.h"
#include "vrrp/state_machine.h"
#include "vrrp/sync_group.h"
#include "vrrp/timers.h"
#include "vrrp/tracking.h"
#include "vrrp/transport.h"
#include "vrrp/vrrp_config.h"

namespace ha::vrrp {

struct InstanceCounters {
  uint64_t advertsSent = 0;
  uint64_t advertsReceived = 0;  // accepted and fed to the state machine
  uint64_t priorityZeroReceived = 0;
  uint64_t priorityZeroSent = 0;
  uint64_t addressListMismatch = 0;  // accepted, but the addresses differ (RFC 5798 §7.1: log)
  uint64_t sendErrors = 0;
  uint64_t becameMaster = 0;    // keepalived's become_master
  uint64_t releasedMaster = 0;  // keepalived's release_master: left MASTER for any state
  std::array<uint64_t, kDropReasonCount> dropped{};
};

struct InstanceStatus {
  std::string name;
  std::string interface;
  std::string syncGroup;
  uint8_t vrid = 0;
  Version version = Version::kV3;
  Family family = Family::kV4;
  State state = State::kInitialize;
  uint8_t basePriority = 0;
  uint8_t effectivePriority = 0;
  Duration advertInterval{};
  Duration masterAdverInterval{};
  std::optional<IpAddress> master;  // the current master's address (ours when master)
  IpAddress source;                 // what we send from
  uint64_t transitions = 0;
  std::string lastTransition;  // "BACKUP -> MASTER: master down timer expired"
  std::chrono::system_clock::time_point lastTransitionAt{};
  std::string fault;  // why it is in FAULT, empty otherwise
  bool trackSync = false;
  bool waitingForSync = false;  // trackSync and connection sync not ready: no preemption
  // preempt_delay: when a backup may start preempting a lower-priority master (set from the
  // first such advert; may lie in the past); nullopt while no delay is counting.
  std::optional<TimePoint> preemptTime;
  std::vector<std::string> addresses;
  InstanceCounters counters;
};

// Drops that could not be tied to one instance (no such VRID, undecodable before the VRID).
struct RouterCounters {
  uint64_t received = 0;
  std::array<uint64_t, kDropReasonCount> dropped{};
};

struct RouterSnapshot {
  std::vector<InstanceStatus> instances;
  RouterCounters counters;
};

struct RoleChange {
  std::string instance;
  State from = State::kInitialize;
  State to = State::kInitialize;
  std::string reason;
  std::vector<IpPrefix> addresses;
};

struct RouterHooks {
  std::function<void(const InstanceConfig&, State, uint8_t priority)> notifyInstance;
  std::function<void(const SyncGroupConfig&, State)> notifyGroup;
  std::function<void(const RoleChange&)> roleChanged;
};

struct RouterPorts {
  Transport& transport;
  Announcer& announcer;
  LinkMonitor& links;
  AddressOwner& addresses;
  Timers& timers;
  // virtual_routes / virtual_rules; null: an instance that has some is refused.
  RoutingOwner* routing = nullptr;
};

class Router {
 public:
  Router(RouterPorts ports, RouterHooks hooks);
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Checks every instance can run here (interface exists, a source address is available, sockets
  // open); on any refusal changes nothing and names each ("instance VI_1 not started: interface
  // lan9: No such device"). Otherwise starts new instances, keeps identical ones with their state,
  // and restarts changed ones (a master hands over with a priority-0 advert first).
  Status apply(const VrrpConfig& config);
  // Every master sends priority 0 and releases its addresses; notify_stop runs.
  void shutdown();

  void onPacket(const ReceivedPacket& packet);
  void onLinkChange(const LinkState& link);
  void onScriptChange(const std::string& script, bool healthy);
  // A virtual server's health-check quorum (track_virtual_server); unknown names read as up.
  void onVirtualServerQuorum(const std::string& name, bool up);
  // Connection sync readiness for track_sync instances; false until told otherwise, and kept
  // across apply() (new instances start with it).
  void setSyncReady(bool ready);

  RouterSnapshot snapshot() const;

 private:
  struct Instance;
  struct Group;

  Status prepare(const InstanceConfig& config, Instance& instance);
  void start(Instance& instance);
  void stopInstance(Instance& instance);
  void release(uint32_t ifindex, Family family);
  void dispatch(Instance& instance, const Event& event);
  void execute(Instance& instance, const Actions& actions);
  void sendAdvert(Instance& instance, uint8_t priority);
  void takeAddresses(Instance& instance);
  void releaseAddresses(Instance& instance);
  // router_routing.cc: virtual_routes / virtual_rules follow the addresses.
  Status prepareRouting(const InstanceConfig& config);
  void clearRouting(const InstanceConfig& config);
  void takeRouting(const InstanceConfig& config);
  void releaseRouting(const InstanceConfig& config);
  // A kept instance's routes and rules after a reload: `current` becomes `next`'s.
  void updateRouting(InstanceConfig& current, bool holding, const InstanceConfig& next);
  void announceBurst(Instance& instance, uint32_t repeat);
  void scheduleAnnounce(Instance& instance, Duration after, bool refresh);
  void arm(Instance& instance, Timer& timer, std::optional<TimePoint>& armed,
           std::optional<TimePoint> wanted, Event event);
  void onTransition(Instance& instance, const Transition& transition);
  void reevaluateTracking(Instance& instance);
  Instance* findInstance(uint32_t ifindex, Family family, uint8_t vrid);

  RouterPorts ports_;
  RouterHooks hooks_;
  VrrpConfig config_;
  std::vector<std::unique_ptr<Instance>> instances_;
  std::vector<std::unique_ptr<Group>> groups_;
  // Links (every interface an instance uses: seeded by prepare(), kept by link events), scripts'
  // results and virtual servers' quorums, by name.
  TrackingState tracking_;
  std::map<std::pair<uint32_t, Family>, int> attached_;
  RouterCounters counters_;
  bool followingGroup_ = false;
  bool syncReady_ = false;
};

}  // namespace ha::vrrp
