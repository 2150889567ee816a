#include "director/node/director_view.h"

namespace ha::director {

TrafficRates& TrafficRates::operator+=(const TrafficRates& o) {
  connsPerSecond += o.connsPerSecond;
  inPacketsPerSecond += o.inPacketsPerSecond;
  outPacketsPerSecond += o.outPacketsPerSecond;
  inBytesPerSecond += o.inBytesPerSecond;
  outBytesPerSecond += o.outBytesPerSecond;
  return *this;
}

}  // namespace ha::director
