// keepalived vrrp_sync.c semantics (vrrp_sync_master/backup/fault, try_up_instance's
// num_member_fault) over reported transitions; see sync_group.h.
#include "vrrp/sync_group.h"

#include <utility>

namespace ha::vrrp {

SyncGroup::SyncGroup(size_t members, std::string name)
    : members_(members), name_(std::move(name)) {
  for (size_t i = 0; i < members_.size(); ++i) members_[i].name = "member " + std::to_string(i);
}

void SyncGroup::setMemberNames(std::vector<std::string> names) {
  for (size_t i = 0; i < names.size() && i < members_.size(); ++i) {
    members_[i].name = std::move(names[i]);
  }
}

std::string SyncGroup::label() const {
  return name_.empty() ? "sync group" : "sync group " + name_;
}

std::optional<size_t> SyncGroup::faultedSibling(size_t member) const {
  for (size_t i = 0; i < members_.size(); ++i) {
    if (i != member && members_[i].ownFault && members_[i].state != State::kInitialize) return i;
  }
  return std::nullopt;
}

std::vector<SyncGroup::Delivery> SyncGroup::onTransition(size_t member,
                                                          const Transition& transition) {
  if (member >= members_.size()) return {};
  Member& self = members_[member];
  const bool followed = self.expecting == transition.to;
  // Any other report means the follows still outstanding were applied (or ignored) unreported.
  if (!followed) {
    for (auto& m : members_) m.expecting.reset();
  }
  self.expecting.reset();
  self.state = transition.to;
  if (followed) return {};  // the follower did what we asked: no feedback into the group

  const std::string why = label() + ": " + self.name + " became " +
                          std::string(stateName(transition.to)) + " (" + transition.reason + ")";
  switch (transition.to) {
    case State::kInitialize: {
      // A stopped member neither drags the others along nor holds them in FAULT.
      self.ownFault = false;
      self.heldRecovery = false;
      bool allStopped = true;
      for (const auto& m : members_) allStopped = allStopped && m.state == State::kInitialize;
      if (allStopped) state_ = State::kInitialize;
      return {};
    }
    case State::kFault:
      // Not a follow we asked for, so the member's own fault (keepalived vrrp_sync_fault()).
      self.ownFault = true;
      if (state_ == State::kFault) return {};
      state_ = State::kFault;
      return follow(member, State::kFault, why);
    case State::kBackup:
    case State::kMaster:
      break;
  }

  if (transition.from == State::kFault) {
    self.ownFault = false;
    self.heldRecovery = false;
  }
  if (auto sibling = faultedSibling(member)) {
    // keepalived try_up_instance(): a member stays in FAULT while a sibling is faulted (and one
    // starting up joins the faulted group, as vrrp_init_state() does).
    self.expecting = State::kFault;
    self.state = State::kFault;
    state_ = State::kFault;
    return {Delivery{member, event::GroupFollow{State::kFault, label() + ": " +
                                                                  members_[*sibling].name +
                                                                  " is faulted"}}};
  }
  if (transition.from == State::kInitialize && state_ == State::kMaster &&
      transition.to == State::kBackup) {
    // A member starting while the group is MASTER joins it (keepalived vrrp_init_state() starts
    // members in the group's state).
    self.expecting = State::kMaster;
    self.state = State::kMaster;
    return {Delivery{member, event::GroupFollow{State::kMaster, label() + " is MASTER"}}};
  }
  if (state_ == transition.to) return {};
  state_ = transition.to;
  return follow(member, transition.to, why);
}

std::vector<SyncGroup::Delivery> SyncGroup::follow(size_t cause, State target,
                                                   const std::string& why) {
  std::vector<Delivery> out;
  for (size_t i = 0; i < members_.size(); ++i) {
    Member& m = members_[i];
    if (i == cause || m.state == State::kInitialize || m.state == target) continue;
    // A member with a fault of its own only ever follows into FAULT.
    if (target != State::kFault && m.ownFault) continue;
    m.expecting = target;
    m.state = target;  // assumed until it reports otherwise: a router may not report followers
    out.push_back(Delivery{i, event::GroupFollow{target, why}});
  }
  return out;
}

void SyncGroup::restore(size_t member, State state, bool ownFault, bool recoveryHeld) {
  if (member >= members_.size()) return;
  Member& m = members_[member];
  m.state = state;
  m.ownFault = ownFault;
  m.heldRecovery = recoveryHeld;
  m.expecting.reset();
  // The group is FAULT while any member is; otherwise where its (agreeing) members are.
  if (state != State::kInitialize && state_ != State::kFault) state_ = state;
}

std::vector<SyncGroup::Delivery> SyncGroup::faultChanged(size_t member, bool faulted,
                                                         std::string reason) {
  if (member >= members_.size()) return {};
  Member& self = members_[member];
  if (faulted) {
    self.ownFault = true;
    self.heldRecovery = false;
    return {Delivery{member, event::FaultChanged{true, std::move(reason)}}};
  }
  const bool wasFaulted = self.ownFault || self.heldRecovery;
  self.ownFault = false;
  if (wasFaulted) {
    if (faultedSibling(member)) {
      // keepalived try_up_instance(): --num_member_fault != 0, so the member stays down; its
      // FaultChanged is delivered when the last sibling recovers.
      self.heldRecovery = true;
      return {};
    }
  }
  self.heldRecovery = false;
  std::vector<Delivery> out{Delivery{member, event::FaultChanged{false, reason}}};
  for (size_t i = 0; i < members_.size(); ++i) {
    if (i == member || !members_[i].heldRecovery) continue;
    members_[i].heldRecovery = false;
    out.push_back(Delivery{i, event::FaultChanged{false, reason + " (" + label() + " recovered)"}});
  }
  return out;
}

}  // namespace ha::vrrp
