#include "director/main/production_ports.h"

#include <string>
#include <utility>

#include "common/conntrack/netlink_conntrack.h"
#include "common/log.h"
#include "common/netlink/netlink_address_owner.h"
#include "common/netlink/netlink_routing_owner.h"
#include "common/ownership/recording_address_owner.h"
#include "common/ownership/recording_routing_owner.h"
#include "director/conntrack/conntrack_counts.h"
#include "director/conntrack/conntrack_stats.h"
#include "director/conntrack/flow_accounting.h"
#include "director/nft/netlink_drift_monitor.h"
#include "director/nft/render.h"
#include "director/node/conntrack_watch.h"
#include "healthcheck/service.h"
#include "sync/service.h"
#include "vrrp/service.h"

namespace ha::director {

Result<KernelPorts> openKernelPorts(std::shared_ptr<OwnershipLedger> ledger) {
  auto writer = nft::NetlinkNftWriter::open();
  if (!writer) return Error{"cannot open nf_tables netlink: " + writer.error()};
  auto kernelAddresses = NetlinkAddressOwner::open();
  if (!kernelAddresses) return Error{"cannot open rtnetlink: " + kernelAddresses.error()};
  auto kernelRouting = NetlinkRoutingOwner::open();
  if (!kernelRouting) return Error{"cannot open rtnetlink: " + kernelRouting.error()};
  auto present = (*kernelAddresses)->present();
  if (!present) return Error{"cannot list addresses: " + present.error()};
  KernelPorts kernel;
  kernel.nft = std::move(writer.value());
  kernel.addresses = std::make_unique<RecordingAddressOwner>(std::move(kernelAddresses.value()),
                                                             ledger, AddressRole::kStatic);
  kernel.present = std::move(present.value());
  kernel.routing = std::make_unique<RecordingRoutingOwner>(std::move(kernelRouting.value()), ledger,
                                                           AddressRole::kStatic);
  return kernel;
}

Status assembleNodePorts(NodePorts& ports, KernelPorts kernel,
                         std::shared_ptr<OwnershipLedger> ledger, const Config& config,
                         healthcheck::HealthListener onHealth) {
  // Notifications of changes to our tables that are not ours (drift); without them drift goes
  // unnoticed, which the node logs.
  auto drift =
      nft::NetlinkDriftMonitor::open({nft::inetTable(), nft::netdevTable()}, kernel.nft->portId());
  if (drift) {
    ports.drift = std::move(drift.value());
  } else {
    log::warning("cannot watch nf_tables notifications: " + drift.error());
  }
  ports.nft = std::move(kernel.nft);
  ports.addresses = std::move(kernel.addresses);
  ports.routing = std::move(kernel.routing);
  ports.conntrack = std::make_unique<NetfilterConntrack>();
  // Per-real counters come from conntrack accounting (director/conntrack/flow_accounting.h).
  if (auto accounting = NetfilterFlowAccounting::open()) {
    ports.accounting = std::move(accounting.value());
  } else {
    log::warning("per-real counters unavailable (NAT/FULLNAT reals show 0): " + accounting.error());
  }
  // lc/wlc/sed/nq/ovf follow their flows through conntrack's events (node_steering.cc).
  ports.openFlowEvents = []() -> Result<std::unique_ptr<conntrack::ConntrackPort>> {
    auto events = conntrack::NetlinkConntrack::open(conntrack::NetlinkConntrack::Mode::kEvents);
    if (!events) return Error{"conntrack events: " + events.error()};
    return std::unique_ptr<conntrack::ConntrackPort>(std::move(events.value()));
  };
  ports.ledger = ledger;
  // VRRP runs on its own thread from here on; a node without vrrp_instance can do without it.
  // Its addresses are recorded too, through an owner made on its thread.
  auto vrrp = ha::vrrp::Service::open(
      nullptr,
      ha::vrrp::productionPorts(
          [ledger]() -> ha::Result<std::unique_ptr<ha::AddressOwner>> {
            auto owner = ha::NetlinkAddressOwner::open();
            if (!owner) return ha::Error{owner.error()};
            return std::unique_ptr<ha::AddressOwner>(std::make_unique<ha::RecordingAddressOwner>(
                std::move(owner.value()), ledger, ha::AddressRole::kVrrp));
          },
          [ledger]() -> ha::Result<std::unique_ptr<ha::RoutingOwner>> {
            auto owner = ha::NetlinkRoutingOwner::open();
            if (!owner) return ha::Error{owner.error()};
            return std::unique_ptr<ha::RoutingOwner>(std::make_unique<ha::RecordingRoutingOwner>(
                std::move(owner.value()), ledger, ha::AddressRole::kVrrp));
          }));
  if (vrrp) {
    ports.vrrp = std::move(vrrp.value());
  } else if (!config.vrrp.instances.empty()) {
    return Error{"cannot start VRRP: " + vrrp.error()};
  } else {
    log::warning("VRRP unavailable (" + vrrp.error() +
                 "); a reload adding vrrp_instance will be refused");
  }
  // A full conntrack table drops our probes' SYNs without a word: such failures are held as
  // inconclusive while the watch says the table is under pressure (node/conntrack_watch.h).
  ports.conntrackWatch =
      std::make_shared<ConntrackWatch>(std::make_unique<NetlinkConntrackStats>());
  healthcheck::ServicePorts healthPorts = healthcheck::productionPorts();
  healthPorts.localTrouble = [watch = ports.conntrackWatch] {
    return watch->probeTrouble(Clock::now());
  };
  ports.health = healthcheck::Service::start(std::move(onHealth), std::move(healthPorts));
  // Sync runs on its own thread (gRPC on its own); readiness opens track_sync instances for
  // preemption. The VRRP service outlives it: the node stops sync before it drops its ports.
  vrrp::Control* vrrpControl = ports.vrrp.get();
  ports.sync = std::make_unique<sync::Service>(
      [vrrpControl](bool ready) {
        if (vrrpControl != nullptr) vrrpControl->setSyncReady(ready);
      },
      sync::productionPorts());
  return okStatus();
}

}  // namespace ha::director
