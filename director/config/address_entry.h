#pragma once
// One `ip address add`-style entry, as static_ipaddress and virtual_ipaddress write them:
// `ADDR[/LEN] [dev DEV] [label LABEL] [brd ..] [scope ..] ...`. Shared so both blocks accept and
// report the same options the same way.
#include <string>
#include <string_view>

#include "common/ip_address.h"
#include "director/config/config_tree.h"
#include "director/config/diagnostic_sink.h"

namespace ha::director::config {

struct AddressEntry {
  IpPrefix prefix;  // a missing /LEN is a host prefix (/32, /128), as `ip
                    // address add` does
  std::string dev;
  std::string label;
};

// `entry.keyword` is the address, `entry.args` the options; `block` names the block in messages
// ("static_ipaddress"). Options we do not apply (scope, brd, ...) warn; unknown ones are errors.
// Fills what it could read even when it returns false, so callers can report the rest.
bool parseAddressEntry(const Node& entry, std::string_view block, AddressEntry& out,
                       DiagnosticSink& sink);

}  // namespace ha::director::config
