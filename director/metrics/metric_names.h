#pragma once
// Every metric family /metrics serves, in one place (as director/nft/names.h holds every name the
// kernel sees); docs/metrics.md is the table of them. The ipvs families follow node_exporter's
// ipvs collector (collector/ipvs_linux.go) with `directord_` for `node_`, the vrrp families
// keepalived-exporter's (mehdy/keepalived-exporter) with `directord_vrrp_` for `keepalived_`.
#include <string_view>

#include "prometheus/metric_type.h"

namespace ha::director::metrics {

struct FamilyDef {
  std::string_view name;
  std::string_view help;
  prometheus::MetricType type;
};

using prometheus::MetricType;

// Label names of node_exporter's ipvs collector.
inline constexpr std::string_view kLocalAddress = "local_address";
inline constexpr std::string_view kLocalPort = "local_port";
inline constexpr std::string_view kRemoteAddress = "remote_address";
inline constexpr std::string_view kRemotePort = "remote_port";
inline constexpr std::string_view kProto = "proto";
inline constexpr std::string_view kLocalMark = "local_mark";

// Per virtual service (node_exporter: one total over all services; sum() gives it back).
inline constexpr FamilyDef kConnections{"directord_ipvs_connections_total",
                                        "The total number of connections made.",
                                        MetricType::Counter};
inline constexpr FamilyDef kIncomingPackets{"directord_ipvs_incoming_packets_total",
                                            "The total number of incoming packets.",
                                            MetricType::Counter};
inline constexpr FamilyDef kOutgoingPackets{"directord_ipvs_outgoing_packets_total",
                                            "The total number of outgoing packets.",
                                            MetricType::Counter};
inline constexpr FamilyDef kIncomingBytes{"directord_ipvs_incoming_bytes_total",
                                          "The total amount of incoming data.",
                                          MetricType::Counter};
inline constexpr FamilyDef kOutgoingBytes{"directord_ipvs_outgoing_bytes_total",
                                          "The total amount of outgoing data.",
                                          MetricType::Counter};
// Per real (node_exporter has the three gauges; the counters are ours, with the same labels).
inline constexpr FamilyDef kBackendActive{
    "directord_ipvs_backend_connections_active",
    "The current active connections by local and remote address.", MetricType::Gauge};
inline constexpr FamilyDef kBackendInactive{
    "directord_ipvs_backend_connections_inactive",
    "The current inactive connections by local and remote address.", MetricType::Gauge};
inline constexpr FamilyDef kBackendWeight{"directord_ipvs_backend_weight",
                                          "The current backend weight by local and remote address.",
                                          MetricType::Gauge};
inline constexpr FamilyDef kBackendConnections{
    "directord_ipvs_backend_connections_total",
    "The total number of connections made to the backend.", MetricType::Counter};
inline constexpr FamilyDef kBackendIncomingPackets{
    "directord_ipvs_backend_incoming_packets_total",
    "The total number of packets from clients to the backend.", MetricType::Counter};
inline constexpr FamilyDef kBackendOutgoingPackets{
    "directord_ipvs_backend_outgoing_packets_total",
    "The total number of packets from the backend to clients.", MetricType::Counter};
inline constexpr FamilyDef kBackendIncomingBytes{
    "directord_ipvs_backend_incoming_bytes_total",
    "The total amount of data from clients to the backend.", MetricType::Counter};
inline constexpr FamilyDef kBackendOutgoingBytes{
    "directord_ipvs_backend_outgoing_bytes_total",
    "The total amount of data from the backend to clients.", MetricType::Counter};

// VRRP: keepalived-exporter's labels (iname, intf, vrid, state); keepalived_vrrp_state's
// (iname, intf, vrid, ip_address).
inline constexpr FamilyDef kVrrpState{
    "directord_vrrp_state", "State of the VRRP instance: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT.",
    MetricType::Gauge};
inline constexpr FamilyDef kVrrpAdvertsReceived{"directord_vrrp_advertisements_received_total",
                                                "Advertisements received.", MetricType::Counter};
inline constexpr FamilyDef kVrrpAdvertsSent{"directord_vrrp_advertisements_sent_total",
                                            "Advertisements sent.", MetricType::Counter};
inline constexpr FamilyDef kVrrpBecomeMaster{"directord_vrrp_become_master_total", "Became master.",
                                             MetricType::Counter};
inline constexpr FamilyDef kVrrpReleaseMaster{"directord_vrrp_release_master_total",
                                              "Released master.", MetricType::Counter};
inline constexpr FamilyDef kVrrpTransitions{
    "directord_vrrp_transitions_total", "State transitions of the instance.", MetricType::Counter};
inline constexpr FamilyDef kVrrpPacketLengthErrors{"directord_vrrp_packet_length_errors_total",
                                                   "Packet length errors.", MetricType::Counter};
inline constexpr FamilyDef kVrrpIntervalErrors{
    "directord_vrrp_advertisements_interval_errors_total", "Advertisement interval errors.",
    MetricType::Counter};
inline constexpr FamilyDef kVrrpTtlErrors{"directord_vrrp_ip_ttl_errors_total", "TTL errors.",
                                          MetricType::Counter};
inline constexpr FamilyDef kVrrpInvalidType{"directord_vrrp_invalid_type_received_total",
                                            "Invalid type errors.", MetricType::Counter};
inline constexpr FamilyDef kVrrpAddressListErrors{"directord_vrrp_address_list_errors_total",
                                                  "Address list errors.", MetricType::Counter};
inline constexpr FamilyDef kVrrpAuthMismatch{"directord_vrrp_authentication_mismatch_total",
                                             "Authentication mismatch.", MetricType::Counter};
inline constexpr FamilyDef kVrrpPriorityZeroReceived{
    "directord_vrrp_priority_zero_received_total", "Priority zero received.", MetricType::Counter};
inline constexpr FamilyDef kVrrpPriorityZeroSent{"directord_vrrp_priority_zero_sent_total",
                                                 "Priority zero sent.", MetricType::Counter};
// Ours: every drop reason by directord's name (the families above group some of them).
inline constexpr FamilyDef kVrrpDropped{"directord_vrrp_dropped_total",
                                        "Advertisements dropped for this instance, by reason.",
                                        MetricType::Counter};
inline constexpr FamilyDef kVrrpUnmatchedDropped{
    "directord_vrrp_unmatched_dropped_total",
    "Advertisements dropped before they could be tied to an instance, by reason.",
    MetricType::Counter};
inline constexpr FamilyDef kVrrpPriority{"directord_vrrp_priority",
                                         "The instance's effective priority.", MetricType::Gauge};

// Health checks.
inline constexpr FamilyDef kHealthRealUp{"directord_health_real_up",
                                         "1 when the real passes its checks (or has none), else 0.",
                                         MetricType::Gauge};
inline constexpr FamilyDef kHealthCheckerUp{"directord_health_checker_up",
                                            "1 when this checker of the real passes, else 0.",
                                            MetricType::Gauge};
inline constexpr FamilyDef kHealthProbes{"directord_health_probes_total",
                                         "Probes run by this checker.", MetricType::Counter};
inline constexpr FamilyDef kHealthFailures{"directord_health_failures_total",
                                           "Failed probes of this checker, by reason.",
                                           MetricType::Counter};
inline constexpr FamilyDef kHealthInconclusive{
    "directord_health_inconclusive_total",
    "Failed probes held as inconclusive (our own side could not probe).", MetricType::Counter};
inline constexpr FamilyDef kHealthProbeDuration{"directord_health_probe_duration_seconds",
                                                "Probe start to verdict, by checker kind.",
                                                MetricType::Histogram};
inline constexpr FamilyDef kHealthProbesInFlight{
    "directord_health_probes_in_flight", "Probes started and not answered yet.", MetricType::Gauge};
inline constexpr FamilyDef kHealthDistinctProbes{
    "directord_health_distinct_probes", "Probes scheduled after identical ones are shared.",
    MetricType::Gauge};

// Connection sync, per peer.
inline constexpr FamilyDef kSyncReady{
    "directord_sync_ready", "1 once connection sync is ready (track_sync).", MetricType::Gauge};
inline constexpr FamilyDef kSyncEvents{"directord_sync_events_total",
                                       "Conntrack events of our flows read.", MetricType::Counter};
inline constexpr FamilyDef kSyncOverruns{
    "directord_sync_overruns_total", "Event socket overruns (ENOBUFS), each followed by a dump.",
    MetricType::Counter};
inline constexpr FamilyDef kSyncLocalFlows{"directord_sync_local_flows",
                                           "Our flows in the last dump.", MetricType::Gauge};
inline constexpr FamilyDef kSyncRefusedStreams{
    "directord_sync_refused_streams_total",
    "Streams the transport ended before a peer was known, by reason.", MetricType::Counter};
inline constexpr FamilyDef kSyncPeerUp{
    "directord_sync_peer_up",
    "1 while the stream is up; direction outgoing (ours) or incoming (its).", MetricType::Gauge};
inline constexpr FamilyDef kSyncSent{"directord_sync_sent_total",
                                     "Flow updates written to the peer.", MetricType::Counter};
inline constexpr FamilyDef kSyncAcked{"directord_sync_acked_total",
                                      "Flow updates the peer acknowledged.", MetricType::Counter};
inline constexpr FamilyDef kSyncQueueDepth{
    "directord_sync_queue_depth", "Flows waiting to be written to the peer.", MetricType::Gauge};
inline constexpr FamilyDef kSyncInFlight{
    "directord_sync_in_flight", "Flows written and not acknowledged yet.", MetricType::Gauge};
inline constexpr FamilyDef kSyncQueueDropped{"directord_sync_queue_dropped_total",
                                             "Updates dropped at the queue bound (a bulk follows).",
                                             MetricType::Counter};
inline constexpr FamilyDef kSyncLagP50{
    "directord_sync_lag_p50_seconds",
    "Local event to the peer's ack, median of the last 4096 batches.", MetricType::Gauge};
inline constexpr FamilyDef kSyncLagP99{
    "directord_sync_lag_p99_seconds",
    "Local event to the peer's ack, 99th percentile of the last 4096 batches.", MetricType::Gauge};
inline constexpr FamilyDef kSyncBulks{"directord_sync_bulks_total", "Bulk transfers, by direction.",
                                      MetricType::Counter};
inline constexpr FamilyDef kSyncBulkDuration{"directord_sync_bulk_duration_seconds",
                                             "Duration of the last bulk transfer, by direction.",
                                             MetricType::Gauge};
inline constexpr FamilyDef kSyncReceived{
    "directord_sync_received_total", "Flow updates received from the peer.", MetricType::Counter};
inline constexpr FamilyDef kSyncApplied{"directord_sync_applied_total",
                                        "Flow updates applied to our kernel.", MetricType::Counter};
inline constexpr FamilyDef kSyncRejected{"directord_sync_rejected_total",
                                         "Flow updates refused, by reason.", MetricType::Counter};
inline constexpr FamilyDef kSyncTaught{
    "directord_sync_taught_flows", "Copies the peer taught us that we hold.", MetricType::Gauge};

// The forwarder and the conntrack table.
inline constexpr FamilyDef kCommits{"directord_forwarder_commits_total",
                                    "nf_tables transactions sent.", MetricType::Counter};
inline constexpr FamilyDef kCommitFailures{"directord_forwarder_commit_failures_total",
                                           "nf_tables transactions the kernel refused.",
                                           MetricType::Counter};
inline constexpr FamilyDef kCommitDuration{"directord_forwarder_commit_duration_seconds",
                                           "nf_tables transaction sent to the kernel's answer.",
                                           MetricType::Histogram};
inline constexpr FamilyDef kDrifts{"directord_forwarder_drifts_total",
                                   "Foreign changes to our tables seen.", MetricType::Counter};
inline constexpr FamilyDef kDriftRepairs{"directord_forwarder_drift_repairs_total",
                                         "Tables put back after a foreign change.",
                                         MetricType::Counter};
inline constexpr FamilyDef kDriftRepairFailures{"directord_forwarder_drift_repair_failures_total",
                                                "Repairs the kernel refused (retried).",
                                                MetricType::Counter};
inline constexpr FamilyDef kCrossThreadTimeouts{
    "directord_cross_thread_timeouts_total", "Requests a module's thread did not answer in time.",
    MetricType::Counter};
inline constexpr FamilyDef kDatapathPackets{
    "directord_datapath_packets_total",
    "What the eBPF datapath (TUN, client_address toa) did with packets, by event.",
    MetricType::Counter};
inline constexpr FamilyDef kConntrackEntries{"directord_conntrack_entries",
                                             "Entries in the conntrack table.", MetricType::Gauge};
inline constexpr FamilyDef kConntrackMax{
    "directord_conntrack_max", "The conntrack table's size (nf_conntrack_max).", MetricType::Gauge};
inline constexpr FamilyDef kConntrackDrops{
    "directord_conntrack_drops_total",
    "Packets dropped for want of a conntrack entry (table full).", MetricType::Counter};
inline constexpr FamilyDef kConntrackEarlyDrops{"directord_conntrack_early_drops_total",
                                                "Unassured entries evicted to make room.",
                                                MetricType::Counter};
inline constexpr FamilyDef kConntrackPressure{
    "directord_conntrack_pressure", "1 while the table is under pressure (full or dropping).",
    MetricType::Gauge};

// About the exporter itself (node_exporter's node_scrape_collector_success).
inline constexpr FamilyDef kBuildInfo{"directord_build_info", "directord's version; always 1.",
                                      MetricType::Gauge};
inline constexpr FamilyDef kCollectorSuccess{
    "directord_scrape_collector_success",
    "1 when the part's thread answered this scrape in time, else 0.", MetricType::Gauge};

}  // namespace ha::director::metrics
