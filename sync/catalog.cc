#include "sync/catalog.h"

namespace ha::sync {
namespace {

bool isUnspecified(const IpAddress& a) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (a.bytes()[i] != 0) return false;
  }
  return true;
}

IpAddress unspecifiedOf(const IpAddress& a) {
  static const uint8_t kZero[16] = {};
  return IpAddress::fromBytes(a.family(), kZero);
}

const CatalogService* findService(const ServiceCatalog& catalog, const FlowEntry& e) {
  auto it = catalog.find(CatalogKey{e.l4proto, e.original.dst, e.original.dstPort});
  if (it == catalog.end()) it = catalog.find(CatalogKey{e.l4proto, e.original.dst, 0});
  // A service selected by a packet mark: any destination (catalog.h).
  if (it == catalog.end())
    it = catalog.find(CatalogKey{e.l4proto, unspecifiedOf(e.original.dst), 0});
  return it == catalog.end() ? nullptr : &it->second;
}

bool plausibleOriginal(const FlowEntry& e) {
  const FlowTuple& o = e.original;
  return (e.l4proto == kProtoTcp || e.l4proto == kProtoUdp) && o.src.family() == o.dst.family() &&
         o.srcPort != 0 && o.dstPort != 0 && !isUnspecified(o.src) && !isUnspecified(o.dst);
}

bool plausibleReply(const FlowEntry& e) {
  const FlowTuple& r = e.reply;
  return r.src.family() == e.original.src.family() && r.dst.family() == r.src.family() &&
         r.srcPort != 0 && r.dstPort != 0 && !isUnspecified(r.src) && !isUnspecified(r.dst);
}

bool knownReal(const CatalogService& service, const FlowTuple& reply) {
  return service.reals.count(CatalogEndpoint{reply.src, reply.srcPort}) != 0 ||
         service.reals.count(CatalogEndpoint{reply.src, 0}) != 0;
}

}  // namespace

std::optional<Rejection> admit(const ServiceCatalog& catalog, FlowOp op, FlowEntry& entry) {
  if (!plausibleOriginal(entry)) return Rejection::kBadTuple;
  const CatalogService* service = findService(catalog, entry);
  if (service == nullptr) return Rejection::kUnknownService;
  if (op == FlowOp::kRemove) {
    entry.mark = service->mark;
    return std::nullopt;
  }
  if (!plausibleReply(entry)) return Rejection::kBadTuple;
  if ((entry.status & ~kSyncedStatusBits) != 0) return Rejection::kBadState;
  if (entry.l4proto == kProtoTcp ? entry.tcpState > kTcpStateMax : entry.tcpState != 0) {
    return Rejection::kBadState;
  }
  if (!knownReal(*service, entry.reply)) return Rejection::kUnknownReal;
  if (service->fullnat) {
    if (!service->localAddresses || service->localAddresses->count(entry.reply.dst) == 0) {
      return Rejection::kUnknownLocalAddress;
    }
  } else if (entry.reply.dst != entry.original.src || entry.reply.dstPort != entry.original.srcPort) {
    // NAT keeps the client as the real's peer; anything else would be a SNAT we never configured.
    return Rejection::kUnknownLocalAddress;
  }
  entry.mark = service->mark;
  return std::nullopt;
}

}  // namespace ha::sync
