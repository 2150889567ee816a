#pragma once
// sync's flow vocabulary is the conntrack adapter's (common/conntrack/): the entry and update
// values, this node's timeout ceilings, and the ConntrackPort the engine and receiver write
// through. Named here so sync's code and tests read as before.
#include "common/conntrack/conntrack_port.h"
#include "common/conntrack/flow.h"
#include "common/conntrack/timeout_limits.h"

namespace ha::sync {

using conntrack::describe;
using conntrack::FlowEntry;
using conntrack::FlowKey;
using conntrack::FlowKeyHash;
using conntrack::FlowOp;
using conntrack::FlowTuple;
using conntrack::FlowUpdate;
using conntrack::kProtoTcp;
using conntrack::kProtoUdp;
using conntrack::kSyncedStatusBits;
using conntrack::kTcpStateMax;

using conntrack::clampTimeout;
using conntrack::kernelDefaultTimeouts;
using conntrack::readTimeoutLimits;
using conntrack::timeoutCeiling;
using conntrack::TimeoutLimits;

using conntrack::ApplyOutcome;
using conntrack::ApplyReport;
using conntrack::ConntrackPort;
using conntrack::EventRead;

}  // namespace ha::sync
