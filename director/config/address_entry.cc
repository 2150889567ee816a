#include "director/config/address_entry.h"

#include <algorithm>
#include <array>

#include "director/config/node_rules.h"

namespace ha::director::config {
namespace {

// `ip address add` options keepalived accepts that we do not apply (yet).
constexpr std::array<std::string_view, 6> kIgnoredValueOptions = {
    "brd", "broadcast", "scope", "peer", "preferred_lft", "metric"};
// no_track: keepalived's "do not FAULT when this address's device is down" (virtual_ipaddress).
constexpr std::array<std::string_view, 6> kIgnoredFlagOptions = {
    "home", "-nodad", "nodad", "noprefixroute", "autojoin", "no_track"};

template <size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

}  // namespace

bool parseAddressEntry(const Node& entry, std::string_view block, AddressEntry& out,
                       DiagnosticSink& sink) {
  const std::string what(block);
  checkNoBlock(entry, sink);  // reported; the entry itself is still read
  bool ok = true;
  auto prefix = IpPrefix::parse(entry.keyword);
  if (!prefix) {
    sink.error(entry.where,
               "invalid address '" + entry.keyword + "' in " + what + ": expected ADDR[/LEN]");
    ok = false;
  }
  for (size_t i = 0; i < entry.args.size(); ++i) {
    const std::string& option = entry.args[i];
    bool valued = option == "dev" || option == "label" || contains(kIgnoredValueOptions, option);
    if (valued && i + 1 >= entry.args.size()) {
      sink.error(entry.where, "missing value for '" + option + "' in " + what + " entry");
      ok = false;
    } else if (option == "dev") {
      out.dev = entry.args[++i];
    } else if (option == "label") {
      out.label = entry.args[++i];
    } else if (valued || contains(kIgnoredFlagOptions, option)) {
      if (valued) ++i;
      sink.warning(entry.where,
                   "option '" + option + "' of " + what + " not supported yet; ignored");
    } else {
      sink.error(entry.where, "unknown option '" + option + "' in " + what + " entry");
      ok = false;
    }
  }
  if (prefix) out.prefix = *prefix;
  return ok;
}

}  // namespace ha::director::config
