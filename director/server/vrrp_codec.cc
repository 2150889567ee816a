// VRRP status -> admin.proto (the other half of admin_codec.h).
#include <chrono>

#include "director/server/admin_codec.h"

namespace ha::director {
namespace {

namespace pb = directord::admin;

uint32_t millis(Duration d) {
  return static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

void addDrops(const std::array<uint64_t, vrrp::kDropReasonCount>& dropped,
              google::protobuf::RepeatedPtrField<pb::DropCount>* out) {
  for (size_t r = 0; r < dropped.size(); ++r) {
    if (dropped[r] == 0) continue;
    auto* d = out->Add();
    d->set_reason(std::string(vrrp::dropReasonName(static_cast<vrrp::DropReason>(r))));
    d->set_count(dropped[r]);
  }
}

}  // namespace

pb::VrrpList toVrrpList(const vrrp::RouterSnapshot& snapshot) {
  pb::VrrpList list;
  list.set_received(snapshot.counters.received);
  addDrops(snapshot.counters.dropped, list.mutable_unattributed());
  for (const auto& s : snapshot.instances) {
    auto* i = list.add_instances();
    i->set_name(s.name);
    i->set_interface(s.interface);
    i->set_vrid(s.vrid);
    i->set_version(static_cast<uint32_t>(s.version));
    i->set_family(s.family == Family::kV4 ? "inet" : "inet6");
    i->set_state(std::string(vrrp::stateName(s.state)));
    i->set_base_priority(s.basePriority);
    i->set_effective_priority(s.effectivePriority);
    i->set_advert_interval_ms(millis(s.advertInterval));
    i->set_master_adver_interval_ms(millis(s.masterAdverInterval));
    if (s.master) i->set_master(s.master->str());
    i->set_source(s.source.str());
    i->set_transitions(s.transitions);
    i->set_last_transition(s.lastTransition);
    if (s.transitions > 0) {
      i->set_last_transition_unix_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         s.lastTransitionAt.time_since_epoch())
                                         .count());
    }
    i->set_fault(s.fault);
    i->set_sync_group(s.syncGroup);
    for (const auto& a : s.addresses) i->add_addresses(a);
    i->set_adverts_sent(s.counters.advertsSent);
    i->set_adverts_received(s.counters.advertsReceived);
    i->set_priority_zero_sent(s.counters.priorityZeroSent);
    i->set_priority_zero_received(s.counters.priorityZeroReceived);
    i->set_address_list_mismatch(s.counters.addressListMismatch);
    i->set_send_errors(s.counters.sendErrors);
    addDrops(s.counters.dropped, i->mutable_dropped());
    i->set_track_sync(s.trackSync);
    i->set_waiting_for_sync(s.waitingForSync);
  }
  return list;
}

}  // namespace ha::director
