#include "director/conntrack/flow_ledger.h"

#include "common/flow_mark.h"

namespace ha::director {

RealTraffic& RealTraffic::operator+=(const RealTraffic& o) {
  conns += o.conns;
  inPackets += o.inPackets;
  outPackets += o.outPackets;
  inBytes += o.inBytes;
  outBytes += o.outBytes;
  return *this;
}

AccountedFlow accountedFlow(const conntrack::KernelEntry& kernel) {
  const conntrack::FlowEntry& flow = kernel.flow;
  AccountedFlow out;
  out.entry.mark = flow.mark;
  out.entry.l4proto = flow.l4proto;
  out.entry.replySource = flow.reply.src;
  out.entry.replySourcePort = flow.reply.srcPort;
  out.entry.tcpState = flow.tcpState;
  out.entry.status = flow.status;
  out.key = flow.key();
  out.id = kernel.id;
  out.accounting = kernel.accounting;
  return out;
}

RealTraffic trafficOf(const AccountedFlow& flow) {
  RealTraffic t;
  if (!flow.accounting) return t;
  t.inPackets = flow.accounting->original.packets;
  t.inBytes = flow.accounting->original.bytes;
  t.outPackets = flow.accounting->reply.packets;
  t.outBytes = flow.accounting->reply.bytes;
  t.conns = t.inPackets > 0 ? 1 : 0;
  return t;
}

namespace {

bool ours(const ConntrackEntry& e) { return (e.mark & kMarkTagMask) == kMarkTag; }

ConnCountKey keyOf(const ConntrackEntry& e) {
  return ConnCountKey{serviceIdOfMark(e.mark), Endpoint{e.replySource, e.replySourcePort}};
}

}  // namespace

void FlowLedger::finish(const AccountedFlow& flow) {
  if (!ours(flow.entry)) return;
  finished_[keyOf(flow.entry)] += trafficOf(flow);
  finishedSinceDump_.emplace(flow.key, flow.id);
}

void FlowLedger::startDump() { finishedSinceDump_.clear(); }

TrafficMap FlowLedger::totals(const std::vector<AccountedFlow>& dump) const {
  TrafficMap out = finished_;
  for (const AccountedFlow& flow : dump) {
    if (!ours(flow.entry) || finishedSinceDump_.count({flow.key, flow.id}) != 0) continue;
    out[keyOf(flow.entry)] += trafficOf(flow);
  }
  return out;
}

}  // namespace ha::director
