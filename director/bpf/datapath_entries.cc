#include "director/bpf/datapath_entries.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "director/bpf/abi.h"

namespace ha::director::bpf {
namespace {

template <typename T>
Bytes bytesOf(const T& value) {
  return Bytes(reinterpret_cast<const char*>(&value), sizeof(T));
}

uint8_t familyOf(const IpAddress& a) { return a.isV4() ? AF_INET : AF_INET6; }

void copyAddress(const IpAddress& a, uint8_t (&out)[16]) {
  std::memcpy(out, a.bytes(), std::min<size_t>(a.size(), sizeof(out)));
}

dd_service_key serviceKeyOf(Protocol protocol, const Endpoint& vip) {
  dd_service_key key{};
  key.family = familyOf(vip.address);
  key.protocol = protocol == Protocol::kTcp ? IPPROTO_TCP : IPPROTO_UDP;
  key.port = htons(vip.port);
  copyAddress(vip.address, key.vip);
  return key;
}

// Writes to do first when adding, last when removing: the order a packet walks the maps in
// reverse (VIP -> service -> slot).
constexpr const char* kAddOrder[] = {kSlotsMap, kServicesMap, kVipsMap};

}  // namespace

Result<DatapathEntries> datapathEntriesOf(const ForwardingPlan& plan) {
  DatapathEntries out;
  auto& services = out.maps[kServicesMap];
  auto& slots = out.maps[kSlotsMap];
  std::map<Bytes, uint32_t> vipFlags;
  for (const auto& [id, sp] : plan.services) {
    if (!usesBpfDatapath(sp)) continue;
    dd_service value{};
    value.id = id;
    value.seed = plan.hashSeed;
    if (sp.mode == ForwardMode::kTun) {
      value.flags |= DD_SVC_TUN;
      if (sp.hashPort) value.flags |= DD_SVC_HASH_PORT;
      value.modulus = static_cast<uint32_t>(sp.slots.size());
      for (uint32_t slot = 0; slot < sp.slots.size(); ++slot) {
        const IpAddress& real = sp.slots[slot].address;
        if (real.isV4() != sp.key.vip.isV4()) {
          return Error{sp.where.str() + ": TUN virtual_server " + sp.key.str() + ": real " +
                       real.str() + " is not of the VIP's family (IPv4 in IPv4, IPv6 in IPv6)"};
        }
        dd_real r{};
        r.family = familyOf(real);
        copyAddress(real, r.addr);
        slots[bytesOf(dd_slot_key{id, slot})] = bytesOf(r);
      }
    }
    if (sp.clientAddressToa) value.flags |= DD_SVC_TOA;
    for (const auto& member : selectorAddresses(sp)) {
      Endpoint vip{member.vip, member.port};
      services[bytesOf(serviceKeyOf(sp.key.protocol, vip))] = bytesOf(value);
      dd_vip_key vipKey{};
      vipKey.family = familyOf(vip.address);
      copyAddress(vip.address, vipKey.vip);
      vipFlags[bytesOf(vipKey)] |= value.flags;
    }
    auto device = plan.bpfDevices.find(sp.ingressDevice);
    if (device == plan.bpfDevices.end()) {
      return Error{sp.where.str() + ": " + sp.key.str() + ": ingress device '" + sp.ingressDevice +
                   "' has no ifindex in the plan"};
    }
    out.devices[device->first] = device->second;
  }
  for (const auto& [key, flags] : vipFlags) out.maps[kVipsMap][key] = bytesOf(flags);
  if (services.size() > DD_MAX_SERVICES) {
    return Error{"the eBPF datapath holds " + std::to_string(DD_MAX_SERVICES) +
                 " TUN and client_address VIP:ports; the config has " +
                 std::to_string(services.size())};
  }
  if (slots.size() > DD_MAX_SLOTS) {
    return Error{"the eBPF datapath holds " + std::to_string(DD_MAX_SLOTS) +
                 " TUN slots; the config's TUN services need " + std::to_string(slots.size()) +
                 " (lower mh_table_size)"};
  }
  if (services.empty()) out.maps.clear();
  return out;
}

std::vector<MapWrite> mapWrites(const DatapathEntries& from, const DatapathEntries& to) {
  static const std::map<Bytes, Bytes> kNone;
  auto entriesOf = [](const DatapathEntries& e, const char* map) -> const std::map<Bytes, Bytes>& {
    auto it = e.maps.find(map);
    return it == e.maps.end() ? kNone : it->second;
  };
  std::vector<MapWrite> writes;
  for (const char* map : kAddOrder) {
    const auto& before = entriesOf(from, map);
    for (const auto& [key, value] : entriesOf(to, map)) {
      auto it = before.find(key);
      if (it == before.end() || it->second != value) writes.push_back({map, key, value});
    }
  }
  for (auto map = std::rbegin(kAddOrder); map != std::rend(kAddOrder); ++map) {
    const auto& after = entriesOf(to, *map);
    for (const auto& [key, value] : entriesOf(from, *map)) {
      if (after.count(key) == 0) writes.push_back({*map, key, std::nullopt});
    }
  }
  return writes;
}

}  // namespace ha::director::bpf
