#include "director/config/keyword_tables.h"

#include <algorithm>
#include <array>

namespace ha::director::config {
namespace {

template <size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view keyword) {
  return std::find(list.begin(), list.end(), keyword) != list.end();
}

// They decide which node holds the VIPs and local addresses.
constexpr std::array<std::string_view, 8> kVrrpBlocks = {
    "vrrp_instance",   "vrrp_sync_group", "vrrp_script",   "vrrp_track_process",
    "vrrp_track_file", "track_file",      "track_process", "garp_group"};

// They change routing, addresses or services in ways not built yet.
constexpr std::array<std::string_view, 6> kOtherBlocks = {
    "virtual_server_group", "static_routes",       "static_rules",
    "static_track_group",   "linkbeat_interfaces", "bfd_instance"};

constexpr std::array<std::string_view, 34> kGlobalDefs = {"notification_email",
                                                          "notification_email_from",
                                                          "smtp_server",
                                                          "smtp_helo_name",
                                                          "smtp_connect_timeout",
                                                          "smtp_alert",
                                                          "lvs_id",
                                                          "lvs_timeouts",
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

constexpr std::array<std::string_view, 26> kHealthCheck = {"TCP_CHECK",
                                                           "HTTP_GET",
                                                           "SSL_GET",
                                                           "MISC_CHECK",
                                                           "UDP_CHECK",
                                                           "DNS_CHECK",
                                                           "SMTP_CHECK",
                                                           "BFD_CHECK",
                                                           "FILE_CHECK",
                                                           "PING_CHECK",
                                                           "inhibit_on_failure",
                                                           "notify_up",
                                                           "notify_down",
                                                           "retry",
                                                           "delay_before_retry",
                                                           "warmup",
                                                           "connect_timeout",
                                                           "alpha",
                                                           "omega",
                                                           "quorum",
                                                           "quorum_up",
                                                           "quorum_down",
                                                           "hysteresis",
                                                           "virtualhost",
                                                           "ha_suspend",
                                                           "smtp_alert"};

constexpr std::array<std::string_view, 10> kUnsupportedService = {"sorry_server",
                                                                  "sorry_server_inhibit",
                                                                  "sorry_server_lvs_method",
                                                                  "ops",
                                                                  "persistence_granularity",
                                                                  "persistence_engine",
                                                                  "ip_family",
                                                                  "flag-1",
                                                                  "flag-2",
                                                                  "flag-3"};

}  // namespace

std::optional<std::string> unsupportedTopLevelBlock(std::string_view keyword) {
  std::string head = "block '" + std::string(keyword) + "' not supported yet";
  if (contains(kVrrpBlocks, keyword)) return head + " (arrives with the VRRP issue)";
  if (keyword == "connection_sync") return head + " (arrives with the connection-sync issue)";
  if (contains(kOtherBlocks, keyword)) return head;
  return std::nullopt;
}

bool isKeepalivedGlobalDefsKeyword(std::string_view keyword) {
  if (contains(kGlobalDefs, keyword)) return true;
  return std::any_of(kGlobalDefsPrefixes.begin(), kGlobalDefsPrefixes.end(),
                     [&](std::string_view p) { return keyword.starts_with(p); });
}

bool isHealthCheckKeyword(std::string_view keyword) { return contains(kHealthCheck, keyword); }

bool isUnsupportedServiceKeyword(std::string_view keyword) {
  return contains(kUnsupportedService, keyword);
}

}  // namespace ha::director::config
