#include "director/node/director_view.h"

namespace ha::director {

TrafficCounters& TrafficCounters::operator+=(const TrafficCounters& o) {
  conns += o.conns;
  inPackets += o.inPackets;
  outPackets += o.outPackets;
  inBytes += o.inBytes;
  outBytes += o.outBytes;
  return *this;
}

TrafficRates& TrafficRates::operator+=(const TrafficRates& o) {
  connsPerSecond += o.connsPerSecond;
  inPacketsPerSecond += o.inPacketsPerSecond;
  outPacketsPerSecond += o.outPacketsPerSecond;
  inBytesPerSecond += o.inBytesPerSecond;
  outBytesPerSecond += o.outBytesPerSecond;
  return *this;
}

}  // namespace ha::director
