#include "director/config/keyword_tables.h"

#include <algorithm>
#include <array>

namespace ha::director::config {
namespace {

template <size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view keyword) {
  return std::find(list.begin(), list.end(), keyword) != list.end();
}

// They change routing, addresses, VRRP state or services in ways not built yet.
// (track_file is read for FILE_CHECK: map_track_file.cc; vrrp_track_file feeds VRRP only.)
constexpr std::array<std::string_view, 8> kOtherBlocks = {
    "static_track_group", "linkbeat_interfaces", "bfd_instance", "vrrp_track_process",
    "vrrp_track_file",    "track_process",       "garp_group",   "interface_up_down_delays"};

// Skipping them leaves who is master, and where the addresses live, as configured.
constexpr std::array<std::string_view, 18> kVrrpInstanceIgnored = {"debug",
                                                                   "smtp_alert",
                                                                   "notify_priority_changes",
                                                                   "notify_master_rx_lower_pri",
                                                                   "notify_deleted",
                                                                   "linkbeat_use_polling",
                                                                   "kernel_rx_buf_size",
                                                                   "promote_secondaries",
                                                                   "lvs_sync_daemon_interface",
                                                                   "strict_mode",
                                                                   "skip_check_adv_addr",
                                                                   "garp_lower_prio_delay",
                                                                   "garp_lower_prio_repeat",
                                                                   "lower_prio_no_advert",
                                                                   "higher_prio_send_advert",
                                                                   "track_src_ip",
                                                                   "unicast_ttl",
                                                                   "native_ipv6"};

// They change the wire, the addresses or the failover conditions.
constexpr std::array<std::string_view, 12> kVrrpInstanceRefused = {"track_file",
                                                                   "track_process",
                                                                   "track_bfd",
                                                                   "vrf",
                                                                   "mcast_dst_ip",
                                                                   "unicast_fault_no_peer",
                                                                   "no_virtual_ipaddress",
                                                                   "down_timer_adverts",
                                                                   "timer_expired_backup",
                                                                   "old_unicast_checksum",
                                                                   "v3_checksum_as_v2",
                                                                   "garp_extra_if"};

// A VRRP virtual MAC (RFC 5798 §7.3) needs a macvlan per instance that directord does not create.
constexpr std::array<std::string_view, 5> kVrrpVmac = {
    "use_vmac", "use_vmac_addr", "vmac_xmit_base", "use_ipvlan", "vmac_garp_intvl"};

constexpr std::array<std::string_view, 33> kGlobalDefs = {"notification_email",
                                                          "notification_email_from",
                                                          "smtp_server",
                                                          "smtp_helo_name",
                                                          "smtp_connect_timeout",
                                                          "smtp_alert",
                                                          "lvs_id",
                                                          "lvs_sync_daemon",
                                                          "lvs_flush",
                                                          "lvs_flush_onstop",
                                                          "enable_traps",
                                                          "enable_dbus",
                                                          "dbus_service_name",
                                                          "script_user",
                                                          "enable_script_security",
                                                          "max_auto_priority",
                                                          "min_auto_priority_delay",
                                                          "default_interface",
                                                          "dynamic_interfaces",
                                                          "no_email_faults",
                                                          "checker_log_all_failures",
                                                          "use_pid_dir",
                                                          "instance",
                                                          "startup_script",
                                                          "shutdown_script",
                                                          "process_names",
                                                          "notify_fifo",
                                                          "notify_fifo_script",
                                                          "local_name",
                                                          "net_namespace",
                                                          "nftables",
                                                          "umask",
                                                          "linkbeat_use_polling"};

// Prefixes of keepalived global_defs keyword families (vrrp_garp_*, enable_snmp_*, ...).
constexpr std::array<std::string_view, 7> kGlobalDefsPrefixes = {
    "vrrp_", "enable_snmp", "snmp_", "checker_", "bfd_", "nftables_", "reload_"};

constexpr std::array<std::string_view, 5> kUnsupportedService = {"persistence_engine", "ip_family",
                                                                 "flag-1", "flag-2", "flag-3"};

}  // namespace

std::optional<std::string> unsupportedTopLevelBlock(std::string_view keyword) {
  if (contains(kOtherBlocks, keyword)) {
    return "block '" + std::string(keyword) + "' not supported yet";
  }
  return std::nullopt;
}

bool isKeepalivedGlobalDefsKeyword(std::string_view keyword) {
  if (contains(kGlobalDefs, keyword)) return true;
  return std::any_of(kGlobalDefsPrefixes.begin(), kGlobalDefsPrefixes.end(),
                     [&](std::string_view p) { return keyword.starts_with(p); });
}

bool isUnsupportedServiceKeyword(std::string_view keyword) {
  return contains(kUnsupportedService, keyword);
}

std::optional<KeywordVerdict> unsupportedVrrpInstanceKeyword(std::string_view keyword) {
  const std::string name = "keyword '" + std::string(keyword) + "' in vrrp_instance";
  if (keyword == "dont_track_primary") {
    return KeywordVerdict{false, name +
                                     " ignored: the instance still goes to FAULT while its "
                                     "interface is down"};
  }
  if (contains(kVrrpVmac, keyword)) {
    return KeywordVerdict{true, name +
                                    " not supported: directord sends adverts and gratuitous "
                                    "ARP/NA from the interface's own MAC and creates no "
                                    "macvlan for a VRRP virtual MAC (RFC 5798 §7.3)"};
  }
  if (contains(kVrrpInstanceIgnored, keyword)) {
    return KeywordVerdict{false, name + " not supported yet; ignored"};
  }
  if (contains(kVrrpInstanceRefused, keyword))
    return KeywordVerdict{true, name + " not supported yet"};
  return std::nullopt;
}

}  // namespace ha::director::config
