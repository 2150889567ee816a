#pragma once
// `directorctl -Lc`: our conntrack entries turned into ipvsadm's connection rows. Pure, so the
// bound, the service filter and the state names are tested without a kernel.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "common/conntrack/flow.h"
#include "director/node/director_view.h"

namespace ha::director {

// A reply of 100,000 rows is ~10 MB of protobuf, well under directorctl's 64 MB limit, and a
// table that size is no longer read by eye; `total` still counts every flow.
inline constexpr size_t kMaxConnectionRows = 100000;

// conntrack's name for a TCP state (enum tcp_conntrack; nf_conntrack_proto_tcp.c
// tcp_conntrack_names).
std::string_view tcpStateName(uint8_t state);

// `services`: service id (the ct mark's low bits) -> its key. Flows whose mark names no service
// (one removed by a reload, until they expire) are listed under their original destination.
ConnectionTable connectionTable(const std::vector<conntrack::FlowEntry>& flows,
                                const std::map<uint32_t, ServiceKey>& services,
                                const std::optional<ServiceKey>& only, size_t limit);

}  // namespace ha::director
