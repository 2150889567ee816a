#pragma once
// keepalived's vrrp_sync_group as a pure coordinator: told what its members' state machines did,
// it answers with the events the other members must be fed so the group moves as one
// (keepalived vrrp_sync.c): one member becomes MASTER -> the others become MASTER; one becomes
// BACKUP -> the others become BACKUP; one goes to FAULT -> all go to FAULT, and the group leaves
// FAULT only once no member has a fault of its own. It never touches a state machine itself.
//
// Feedback: a follower's own resulting transition, reported back through onTransition(), is
// recognised as the follow it was asked for and re-triggers nothing (keepalived gets the same
// from checking the group state first). A router may also simply not report followers'
// transitions; both work.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "vrrp/state_machine.h"

namespace ha::vrrp {

class SyncGroup {
 public:
  // An event for member `member` (an index into the group, in configuration order).
  struct Delivery {
    size_t member = 0;
    Event event;
  };

  explicit SyncGroup(size_t members, std::string name = {});
  // Names used in the reasons given to followers ("sync group G1: VI_1 became MASTER (...)");
  // without them members are called by index.
  void setMemberNames(std::vector<std::string> names);

  // Member `member`'s state machine made `transition`: what to feed the members, in order.
  std::vector<Delivery> onTransition(size_t member, const Transition& transition);

  // A member's own fault condition changed (tracked interface, weightless script). Routing
  // FaultChanged through here rather than straight to the member keeps a recovered member in
  // FAULT while a sibling is still faulted (keepalived try_up_instance(): num_member_fault), with
  // no BACKUP flap in between; when the last fault clears every held member is released.
  std::vector<Delivery> faultChanged(size_t member, bool faulted, std::string reason);

  // A router rebuilding its groups on reload tells the new coordinator where a running member
  // stands, with no follow: its state, its own fault, and whether its recovery is held (its fault
  // cleared while a sibling's had not). Without it a fresh coordinator takes every member for
  // stopped and follows no one.
  void restore(size_t member, State state, bool ownFault, bool recoveryHeld);

  // keepalived's group state: the state the group last moved to (INIT until a member starts).
  State state() const { return state_; }
  // What the coordinator believes member `member` is in.
  State memberState(size_t member) const { return members_.at(member).state; }
  bool memberFaulted(size_t member) const { return members_.at(member).ownFault; }
  size_t size() const { return members_.size(); }

 private:
  struct Member {
    std::string name;
    State state = State::kInitialize;
    bool ownFault = false;
    bool heldRecovery = false;  // its fault cleared while a sibling's had not: FaultChanged pending
    std::optional<State> expecting;  // the follow we asked for and have not seen yet
  };

  std::vector<Delivery> follow(size_t cause, State target, const std::string& why);
  std::optional<size_t> faultedSibling(size_t member) const;
  std::string label() const;

  std::vector<Member> members_;
  std::string name_;
  State state_ = State::kInitialize;
};

}  // namespace ha::vrrp
