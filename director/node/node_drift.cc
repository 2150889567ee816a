// The node's answer to drift: nf_tables notifications of changes to our tables
// that another process made (or that were lost) lead to one full re-apply of
// the plan, so forwarding comes back within milliseconds and the next reload
// finds the objects it expects. Owner-flagged tables (nftables_owner
// persist|process) keep most drift from happening at all.
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cstdio>

#include "common/log.h"
#include "common/post_and_wait.h"
#include "director/nft/diff.h"
#include "director/nft/ir_text.h"
#include "director/nft/render.h"
#include "director/node/node.h"
#include "director/node/sync_bridge.h"

namespace ha::director {
namespace {

std::string milliseconds(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f ms", ms);
  return buf;
}

std::vector<nft::TableId> ourTables() { return {nft::inetTable(), nft::netdevTable()}; }

}  // namespace

void Node::watchDrift() {
  if (!ports_.drift) {
    log::warning(
        "nf_tables notifications unavailable: changes to directord's "
        "tables by others go unnoticed");
    return;
  }
  // A duplicate, so the descriptor Asio closes is not the monitor's.
  const int fd = dup(ports_.drift->fd());
  if (fd < 0) {
    log::warning(
        "nf_tables notifications: dup failed; changes to directord's "
        "tables by others go unnoticed");
    return;
  }
  driftWatch_ = std::make_unique<boost::asio::posix::stream_descriptor>(io_, fd);
  awaitDrift();
}

void Node::awaitDrift() {
  driftWatch_->async_wait(boost::asio::posix::descriptor_base::wait_read,
                          [this](const boost::system::error_code& ec) {
                            if (ec || !started_) return;
                            readDrift();
                            awaitDrift();
                          });
}

void Node::readDrift() {
  std::vector<nft::Drift> drifts;
  auto read = ports_.drift->read(drifts);
  if (!read) {
    log::warning("nf_tables notifications: " + read.error());
    return;
  }
  if (read->overrun) {
    drifts.push_back(
        {"nf_tables notifications lost (receive queue full): what "
         "changed is unknown",
         0, ""});
  }
  for (auto& drift : drifts) {
    log::warning("nf_tables: " + drift.what + ": not directord's change; restoring its tables");
    scheduleRepair(driftTracker_.onDrift(drift.what, Clock::now()));
  }
}

void Node::scheduleRepair(TimePoint due) {
  repairTimer_.expires_at(due);
  repairTimer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) repairTables();
  });
}

void Node::repairTables() {
  if (!started_) return;
  // Re-planned from config and the health verdicts as of now: a health patch
  // that failed on the broken tables is not lost.
  auto plan = planFor(config_);
  Status result = okStatus();
  nft::NftState desired;
  if (plan) {
    desired = nft::render(*plan);
    recordTables(desired, false);
    result = ports_.nft->commit(nft::replaceAll(desired, ourTables()));
    if (result) recordTables(desired, true);
  } else {
    result = Error{plan.error()};
  }
  if (result) {
    plan_ = std::move(plan.value());
    installed_ = std::move(desired);
  }
  auto retry = driftTracker_.onRepair(result, Clock::now());
  if (!retry) {
    const auto& c = driftTracker_.counters();
    log::info("nf_tables: directord's tables restored " + milliseconds(c.lastRepairMs.value_or(0)) +
              " after the drift");
    if (ports_.sync) ports_.sync->setCatalog(syncCatalogOf(config_, serviceIds_));
    return;
  }
  log::error("nf_tables: restoring directord's tables failed: " + result.error() + "; retrying");
  scheduleRepair(*retry);
}

ForwarderStatus Node::forwarderStatusNow() const {
  ForwarderStatus s;
  for (const auto& [id, table] : installed_.tables) {
    s.tables.push_back((id.family == nft::TableFamily::kInet ? "inet " : "netdev ") + id.name);
  }
  const nft::TableOwner wanted = nft::tableOwner(plan_.tableOwnership);
  s.ownerWanted = nft::ownerText(wanted);
  s.ownerInKernel = nft::ownerText(std::min(wanted, ports_.nft->ownerLimit()));
  s.watching = driftWatch_ != nullptr;
  const auto& c = driftTracker_.counters();
  s.drifts = c.drifts;
  s.repairs = c.repairs;
  s.repairFailures = c.repairFailures;
  s.repairPending = c.repairPending;
  s.lastDrift = c.lastDrift;
  if (c.lastDriftAt) {
    s.lastDriftAgeMs = static_cast<uint64_t>(millisecondsBetween(*c.lastDriftAt, Clock::now()));
  }
  s.lastRepairMs = c.lastRepairMs;
  s.lastRepairError = c.lastRepairError;
  s.crossThreadTimeouts = crossThreadTimeouts().load();
  if (ports_.datapath) {
    if (auto dp = ports_.datapath->counters()) {
      s.datapathLoaded = dp->loaded;
      for (const auto& [device, ifindex] : dp->attached) s.datapathDevices.push_back(device);
      for (uint32_t i = 0; dp->loaded && i < DD_COUNTER_MAX; ++i)
        s.datapathCounters[bpf::counterName(static_cast<dd_counter>(i))] = dp->counters[i];
    } else {
      s.datapathError = dp.error();
    }
  }
  s.commits = timedNft_->stats().commits;
  s.commitFailures = timedNft_->stats().failures;
  s.commitLatency = timedNft_->stats().latency;
  return s;
}

}  // namespace ha::director
