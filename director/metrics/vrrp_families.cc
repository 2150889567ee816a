// VRRP: keepalived-exporter's families and labels, with directord_vrrp_ for keepalived_.
#include <string>

#include "director/metrics/families.h"
#include "vrrp/packet.h"

namespace ha::director::metrics {
namespace {

using vrrp::DropReason;

uint64_t dropped(const vrrp::InstanceCounters& c, DropReason reason) {
  return c.dropped[static_cast<size_t>(reason)];
}

// "192.0.2.100/24 dev eth0" (InstanceStatus::addresses) -> ("192.0.2.100", "eth0").
std::pair<std::string, std::string> addressAndDevice(const std::string& entry) {
  const size_t end = entry.find_first_of("/ ");
  const std::string address = entry.substr(0, end);
  constexpr std::string_view kDev = " dev ";
  const size_t dev = entry.find(kDev);
  std::string device = dev == std::string::npos ? "" : entry.substr(dev + kDev.size());
  return {address, device.substr(0, device.find(' '))};
}

}  // namespace

void addVrrp(const vrrp::RouterSnapshot& snapshot, FamilySet& out) {
  for (const vrrp::InstanceStatus& instance : snapshot.instances) {
    const std::string vrid = std::to_string(instance.vrid);
    // keepalived's numbering (INIT 0, BACKUP 1, MASTER 2, FAULT 3) is our enum's.
    const auto state = static_cast<double>(instance.state);
    // keepalived-exporter: one series per virtual address, labelled with that address' device.
    for (const std::string& entry : instance.addresses) {
      auto [address, device] = addressAndDevice(entry);
      out.add(kVrrpState,
              {{"iname", instance.name},
               {"intf", device.empty() ? instance.interface : device},
               {"vrid", vrid},
               {"ip_address", address}},
              state);
    }
    if (instance.addresses.empty()) {
      out.add(kVrrpState,
              {{"iname", instance.name},
               {"intf", instance.interface},
               {"vrid", vrid},
               {"ip_address", ""}},
              state);
    }
    const Labels labels = {{"iname", instance.name},
                           {"intf", instance.interface},
                           {"vrid", vrid},
                           {"state", std::string(vrrp::stateName(instance.state))}};
    const vrrp::InstanceCounters& c = instance.counters;
    out.add(kVrrpAdvertsReceived, labels, c.advertsReceived);
    out.add(kVrrpAdvertsSent, labels, c.advertsSent);
    out.add(kVrrpBecomeMaster, labels, c.becameMaster);
    out.add(kVrrpReleaseMaster, labels, c.releasedMaster);
    out.add(kVrrpTransitions, labels, instance.transitions);
    out.add(kVrrpPacketLengthErrors, labels,
            dropped(c, DropReason::kTooShort) + dropped(c, DropReason::kTooLong));
    out.add(kVrrpIntervalErrors, labels, dropped(c, DropReason::kIntervalMismatch));
    out.add(kVrrpTtlErrors, labels, dropped(c, DropReason::kBadTtl));
    out.add(kVrrpInvalidType, labels, dropped(c, DropReason::kBadType));
    // keepalived counts an address list that differs, accepted or not.
    out.add(kVrrpAddressListErrors, labels,
            dropped(c, DropReason::kAddressCount) + c.addressListMismatch);
    out.add(kVrrpAuthMismatch, labels, dropped(c, DropReason::kAuthMismatch));
    out.add(kVrrpPriorityZeroReceived, labels, c.priorityZeroReceived);
    out.add(kVrrpPriorityZeroSent, labels, c.priorityZeroSent);
    out.add(kVrrpPriority, labels, uint64_t{instance.effectivePriority});
    for (size_t reason = 0; reason < vrrp::kDropReasonCount; ++reason) {
      out.add(kVrrpDropped,
              with(labels, "reason",
                   std::string(vrrp::dropReasonName(static_cast<DropReason>(reason)))),
              c.dropped[reason]);
    }
  }
  if (snapshot.instances.empty()) return;  // no VRRP configured: no vrrp families
  for (size_t reason = 0; reason < vrrp::kDropReasonCount; ++reason) {
    out.add(kVrrpUnmatchedDropped,
            {{"reason", std::string(vrrp::dropReasonName(static_cast<DropReason>(reason)))}},
            snapshot.counters.dropped[reason]);
  }
}

}  // namespace ha::director::metrics
