#pragma once
// An in-memory LAN of VRRP routers on a ManualClock: each router is one vrrp::StateMachine with
// its own primary address, run the way vrrp::Router runs it (send, then addresses, then timers
// re-armed from the Actions, then the transition), with adverts delivered to every other running
// router on the same VRID after a fixed delay. Loss and partitions are switched by the test.
// Routers in a sync group are coordinated by a vrrp::SyncGroup, as the router does. Shared by
// the state machine tests and the action-sequence fuzzer (STYLE.md §3, §8).
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/fakes/manual_clock.h"
#include "vrrp/state_machine.h"
#include "vrrp/sync_group.h"

namespace ha::test {

class FakeVrrpWire {
 public:
  struct Sent {
    TimePoint at;
    size_t router = 0;
    uint8_t priority = 0;
    bool dropped = false;  // lost to dropNext() or to a partition at the sender
  };
  struct Change {
    TimePoint at;
    size_t router = 0;
    vrrp::Transition transition;
  };
  // Gratuitous ARP / unsolicited NA: on taking the addresses, or again (reannounceAddresses).
  // Neighbours on the LAN follow the latest one, whoever VRRP can hear.
  struct Announcement {
    TimePoint at;
    size_t router = 0;
  };

  explicit FakeVrrpWire(ManualClock& clock, Duration delay = std::chrono::milliseconds(1));
  ~FakeVrrpWire();
  FakeVrrpWire(const FakeVrrpWire&) = delete;
  FakeVrrpWire& operator=(const FakeVrrpWire&) = delete;

  // A router (not started) on `vrid`; only routers on the same VRID hear each other.
  size_t addRouter(const vrrp::Params& params, uint8_t vrid = 1);
  // Routers that move together (one box's instances in a vrrp_sync_group).
  size_t addSyncGroup(std::vector<size_t> routers, std::string name = {});

  // Boots a fresh state machine (it keeps its priority and fault condition) and feeds Startup.
  void start(size_t router);
  // Orderly stop: Shutdown (a master sends priority 0 and releases its addresses).
  void stop(size_t router);
  // Silent death: no priority 0, timers gone, its addresses vanish with the box.
  void crash(size_t router);
  void restart(size_t router);
  // Cut the router off the wire (both directions) or put it back.
  void partition(size_t router, bool isolated);
  // Every router back on the wire, and adverts still due to be dropped are not.
  void healAll();
  // The next `count` adverts the router sends are lost.
  void dropNext(size_t router, size_t count = 1);
  void setDelay(Duration delay) { delay_ = delay; }
  // Effective priority (track weights): PriorityChanged now, and again after a restart.
  void setPriority(size_t router, uint8_t priority);
  // A tracked interface/script fault; through the router's sync group if it has one.
  void setFault(size_t router, bool faulted, std::string reason = "tracked interface down");
  void advance(Duration d) { clock_.advance(d); }

  vrrp::State state(size_t router) const;
  bool running(size_t router) const;
  bool holdsAddresses(size_t router) const;
  bool isolated(size_t router) const;
  size_t masterCount() const;  // running routers in MASTER, all VRIDs
  size_t masterCount(uint8_t vrid) const;
  size_t holderCount() const;  // routers holding their virtual addresses
  size_t size() const { return routers_.size(); }
  // Only while running.
  const vrrp::StateMachine& machine(size_t router) const;
  const vrrp::SyncGroup& syncGroup(size_t group) const;

  const std::vector<Change>& changes() const { return changes_; }
  const std::vector<Sent>& sent() const { return sent_; }
  const std::vector<Announcement>& announcements() const { return announcements_; }
  // When the last advert was lost (dropNext, partition); nullopt if none was.
  std::optional<TimePoint> lastLossAt() const { return lastLossAt_; }
  // The time router `router` last entered `state`, if it did.
  std::optional<TimePoint> lastEntered(size_t router, vrrp::State state) const;
  // Called after each transition has been carried out.
  void onChange(std::function<void(const Change&)> listener) { listener_ = std::move(listener); }

 private:
  struct Timer {
    std::optional<ManualClock::TimerId> id;
    std::optional<TimePoint> at;
  };
  struct Router {
    vrrp::Params params;
    uint8_t vrid = 1;
    std::optional<uint8_t> priority;  // effective priority set by the test
    bool faulted = false;
    std::string faultReason;
    std::unique_ptr<vrrp::StateMachine> machine;
    bool holding = false;
    bool isolated = false;
    size_t dropNext = 0;
    uint64_t boot = 0;  // incarnation: deliveries to an earlier one are lost
    Timer masterDown, adver, preempt;
    std::optional<size_t> group;
    size_t member = 0;
  };
  struct Group {
    std::vector<size_t> routers;
    vrrp::SyncGroup sync;
  };

  void feed(size_t router, const vrrp::Event& event);
  void execute(size_t router, const vrrp::Actions& actions);
  void send(size_t router, uint8_t priority);
  void deliver(size_t to, uint64_t boot, const vrrp::event::AdvertReceived& advert);
  void arm(size_t router, Timer& timer, std::optional<TimePoint> wanted, vrrp::Event event);
  void disarm(Router& r);
  Router& at(size_t router);
  const Router& at(size_t router) const;

  ManualClock& clock_;
  Duration delay_;
  std::vector<std::unique_ptr<Router>> routers_;
  std::vector<std::unique_ptr<Group>> groups_;
  std::vector<Change> changes_;
  std::vector<Sent> sent_;
  std::vector<Announcement> announcements_;
  std::optional<TimePoint> lastLossAt_;
  std::function<void(const Change&)> listener_;
  // Callbacks left on the clock after the wire is gone see this expire and do nothing.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace ha::test
