#pragma once
// The node's view of the eBPF datapath: write a plan's entries, read the counters, remove
// everything. LibbpfDatapath is the kernel's; node tests use tests/fakes' recording one.
#include <array>
#include <cstdint>
#include <map>

#include "common/result.h"
#include "director/bpf/abi.h"
#include "director/bpf/datapath_entries.h"

namespace ha::director::bpf {

struct ServiceTraffic {
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

struct DatapathCounters {
  bool loaded = false;  // false: no TUN or client_address service has needed the programs yet
  std::array<uint64_t, DD_COUNTER_MAX> counters{};  // by enum dd_counter, summed over CPUs
  std::map<uint32_t, ServiceTraffic> services;      // by service id
  std::map<std::string, uint32_t> attached;         // device -> ifindex
};

class DatapathPort {
 public:
  virtual ~DatapathPort() = default;
  // Makes the kernel hold `desired`: the programs are loaded on first need (a program the
  // verifier refuses fails here, with its log, before anything changed), the maps written in
  // an order packets never catch half-made, then devices attached and detached. On error the
  // kernel holds what it held before.
  virtual Status apply(const DatapathEntries& desired) = 0;
  // Loads the programs if they are not loaded yet, touching no map and no device: a reload
  // asks this before it changes anything, so a refused program refuses the whole reload.
  virtual Status prepare() = 0;
  virtual Result<DatapathCounters> counters() = 0;
  // Detaches every device and forgets the pins (stop).
  virtual void removeAll() = 0;
};

// Names of dd_counter values, for logs, directorctl and /metrics ("tun_encapsulated", ...).
const char* counterName(dd_counter counter);

}  // namespace ha::director::bpf
