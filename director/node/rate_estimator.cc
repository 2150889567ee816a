#include "director/node/rate_estimator.h"

namespace ha::director {
namespace {

// IPVS's weight: the estimate moves 1/4 of the way to each 2 s sample (">> 2" in ip_vs_est.c).
constexpr double kWeight = 0.25;

double perSecond(uint64_t now, uint64_t before, double seconds) {
  return now > before ? static_cast<double>(now - before) / seconds : 0.0;
}

void approach(double& estimate, double sample) { estimate += (sample - estimate) * kWeight; }

}  // namespace

void RateEstimate::sample(const TrafficCounters& totals, TimePoint now) {
  const double seconds = std::chrono::duration<double>(now - lastAt_).count();
  if (last_ && seconds > 0) {
    approach(rates_.connsPerSecond, perSecond(totals.conns, last_->conns, seconds));
    approach(rates_.inPacketsPerSecond, perSecond(totals.inPackets, last_->inPackets, seconds));
    approach(rates_.outPacketsPerSecond, perSecond(totals.outPackets, last_->outPackets, seconds));
    approach(rates_.inBytesPerSecond, perSecond(totals.inBytes, last_->inBytes, seconds));
    approach(rates_.outBytesPerSecond, perSecond(totals.outBytes, last_->outBytes, seconds));
  }
  last_ = totals;
  lastAt_ = now;
}

void RateEstimate::restart(const TrafficCounters& totals, TimePoint now) {
  rates_ = {};
  last_ = totals;
  lastAt_ = now;
}

}  // namespace ha::director
