// The node's side of its conntrack table: a sample a second on the director
// thread, and the status `directorctl conntrack` shows (the health thread's
// inconclusive count added).
#include "director/node/node.h"

namespace ha::director {

void Node::watchConntrack() {
  if (!ports_.conntrackWatch) return;
  ports_.conntrackWatch->sample(Clock::now());
  conntrackTimer_.expires_after(kConntrackSampleEvery);
  conntrackTimer_.async_wait([this](const boost::system::error_code &ec) {
    if (!ec) watchConntrack();
  });
}

Result<ConntrackStatus> Node::conntrackStatus() {
  if (!ports_.conntrackWatch)
    return ConntrackStatus{
        "conntrack statistics are not read by this node", {}, {}, {}, {}, 0, 0, {}};
  ConntrackStatus status = ports_.conntrackWatch->status(Clock::now());
  if (ports_.health) {
    auto health = ports_.health->snapshot();  // the health thread answers within its own deadline
    if (!health) return Error{health.error()};
    status.inconclusiveResults = health->inconclusiveResults;
  }
  return status;
}

}  // namespace ha::director
