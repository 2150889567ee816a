// The node's per-real counters: conntrack accounting instead of a per-packet nf_tables rule. A
// real's totals are its live flows' counters (one dump, when asked) plus the final counters of
// its flows that ended (destroy events, read as they arrive); rates are estimated from the same
// totals, every 2 s while someone asks for them (rate_estimator.h); ipvsadm -Z keeps a baseline
// instead of resetting anything in the kernel.
#include <unistd.h>

#include <algorithm>

#include "common/log.h"
#include "director/nft/names.h"
#include "director/nft/render.h"
#include "director/node/node.h"

namespace ha::director {
namespace {

// Destroy events wait this long in their socket to be read as one batch (awaitFinishedFlows).
constexpr Duration kFinishedFlowsBatch = std::chrono::milliseconds(50);

}  // namespace

void Node::watchFinishedFlows() {
  if (!ports_.accounting || ports_.accounting->finishedFd() < 0) return;
  // A duplicate, so the descriptor Asio closes is not the port's.
  const int fd = dup(ports_.accounting->finishedFd());
  if (fd < 0) {
    log::warning("conntrack destroy events: dup failed; finished flows are not counted");
    return;
  }
  finishedWatch_ = std::make_unique<boost::asio::posix::stream_descriptor>(io_, fd);
  awaitFinishedFlows();
}

void Node::awaitFinishedFlows() {
  finishedWatch_->async_wait(boost::asio::posix::descriptor_base::wait_read,
                             [this](const boost::system::error_code& ec) {
                               if (ec || !started_) return;
                               readFinishedFlows();
                               // Flows end by the thousand a second under new-connection load,
                               // one datagram each: the socket (8 MiB) holds them for a batch
                               // read, one wakeup per kFinishedFlowsBatch instead of one a flow.
                               // A counters read drains it first, so no read is ever short.
                               finishedBatchTimer_.expires_after(kFinishedFlowsBatch);
                               finishedBatchTimer_.async_wait(
                                   [this](const boost::system::error_code& e) {
                                     if (!e && started_) awaitFinishedFlows();
                                   });
                             });
}

void Node::readFinishedFlows() {
  if (!ports_.accounting) return;
  auto read = ports_.accounting->finished();
  if (!read) {
    log::warning("conntrack destroy events: " + read.error());
    return;
  }
  for (const AccountedFlow& flow : read->flows) flowLedger_.finish(flow);
  if (read->overrun && finishedOverruns_++ == 0) {
    log::warning(
        "conntrack destroy events lost (receive queue full): the bytes of some finished flows "
        "are missing from the per-real counters");
  }
}

DirectorSnapshot Node::countersNow() {
  KernelCounters kc;
  if (!plan_.drDevices.empty()) {
    auto dr = ports_.nft->readSetCounters(nft::netdevTable(), std::string(nft::kDrStats4));
    if (dr)
      kc.drStats = std::move(dr.value());
    else
      log::debug("reading " + std::string(nft::kDrStats4) + ": " + dr.error());
  }
  if (ports_.accounting) {
    flowLedger_.startDump();
    auto live = ports_.accounting->live();
    // Flows that ended while the dump ran: counted once, with their final counters.
    readFinishedFlows();
    if (live) {
      kc.traffic = flowLedger_.totals(live.value());
      for (const AccountedFlow& flow : live.value()) countEntry(flow.entry, kc.connections);
    } else {
      log::debug("conntrack accounting: " + live.error());
    }
  } else if (auto ct = ports_.conntrack->count()) {
    kc.connections = std::move(ct.value());
  } else {
    log::debug("conntrack counts: " + ct.error());
  }
  return makeSnapshot(plan_, kc);
}

bool Node::askForRates(const DirectorSnapshot& raw) {
  const TimePoint now = Clock::now();
  ratesAskedUntil_ = now + kRatesAskedFor;
  if (rateSampling_) return false;
  rateSampling_ = true;
  takeRateSample(raw, now);
  scheduleRateSample(kRateSampleEvery);
  return true;
}

void Node::scheduleRateSample(Duration after) {
  rateTimer_.expires_after(after);
  rateTimer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) sampleRates();
  });
}

void Node::sampleRates() {
  const TimePoint now = Clock::now();
  if (now >= ratesAskedUntil_) {  // nobody asked for a while: stop, and forget what is now stale
    rateSampling_ = false;
    serviceRates_.clear();
    realRates_.clear();
    return;
  }
  takeRateSample(countersNow(), now);
  const Duration cost = Clock::now() - now;
  scheduleRateSample(std::max(kRateSampleEvery, cost * kRateSampleCostShare));
}

void Node::takeRateSample(const DirectorSnapshot& raw, TimePoint now) {
  std::map<std::pair<ServiceKey, Endpoint>, RateEstimate> reals;
  std::map<ServiceKey, RateEstimate> services;
  for (const auto& s : raw.services) {
    (services[s.plan.key] = serviceRates_[s.plan.key]).sample(s.sinceStart, now);
    for (const auto& r : s.reals) {
      const auto key = std::make_pair(s.plan.key, r.real.endpoint);
      (reals[key] = realRates_[key]).sample(r.sinceStart, now);
    }
  }
  serviceRates_ = std::move(services);  // services and reals no longer planned are dropped
  realRates_ = std::move(reals);
}

void Node::fillRates(DirectorSnapshot& snapshot) const {
  for (auto& s : snapshot.services) {
    if (auto it = serviceRates_.find(s.plan.key); it != serviceRates_.end())
      s.rates = it->second.rates();
    for (auto& r : s.reals) {
      auto it = realRates_.find({s.plan.key, r.real.endpoint});
      if (it != realRates_.end()) r.rates = it->second.rates();
    }
  }
}

uint32_t Node::zeroCountersNow(const std::optional<ServiceKey>& asked) {
  std::optional<ServiceKey> service;
  if (asked) service = resolveServiceKey(plan_, *asked);
  const DirectorSnapshot raw = countersNow();
  const TimePoint now = Clock::now();
  uint32_t zeroed = 0;
  for (const auto& s : raw.services) {
    if (service && s.plan.key != *service) continue;
    ++zeroed;
    serviceRates_[s.plan.key].restart(s.sinceStart, now);
    for (const auto& r : s.reals)
      realRates_[{s.plan.key, r.real.endpoint}].restart(r.sinceStart, now);
  }
  if (zeroed == 0) return 0;
  baselines_.zero(raw, service);
  log::info("counters zeroed: " + (service ? service->str() : std::string("every service")));
  return zeroed;
}

}  // namespace ha::director
