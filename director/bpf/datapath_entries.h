#pragma once
// What the eBPF datapath's maps must hold for a plan (pure): the TUN services with their slot
// tables and the FULLNAT services that carry the client's address, keyed as the packet names
// them (abi.h). The adapter writes the difference between two of these into the kernel.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "director/plan/forwarding_plan.h"

namespace ha::director::bpf {

using Bytes = std::string;  // a map key or value exactly as the kernel stores it

inline constexpr const char* kServicesMap = "dd_services";
inline constexpr const char* kVipsMap = "dd_vips";
inline constexpr const char* kSlotsMap = "dd_slots";

struct DatapathEntries {
  // map name -> key -> value. Maps absent here hold nothing.
  std::map<std::string, std::map<Bytes, Bytes>> maps;
  std::map<std::string, uint32_t> devices;  // attach to: device name -> ifindex
  bool empty() const { return devices.empty(); }
  bool operator==(const DatapathEntries&) const = default;
};

// Fails when the plan does not fit the maps' fixed capacity (abi.h), or a real's family is not
// its service's (IPv4 in IPv4, IPv6 in IPv6).
Result<DatapathEntries> datapathEntriesOf(const ForwardingPlan& plan);

// The writes that turn `from` into `to`, in an order a packet can never catch half-made: slots
// before the services that use them, services before their VIPs; deletes the other way round.
struct MapWrite {
  std::string map;
  Bytes key;
  std::optional<Bytes> value;  // nullopt: delete
};
std::vector<MapWrite> mapWrites(const DatapathEntries& from, const DatapathEntries& to);

}  // namespace ha::director::bpf
