// The model -> metric families conversion: names and labels as node_exporter's ipvs collector and
// keepalived-exporter give them, values from the snapshots, parts that did not answer left out.
#include "director/metrics/families.h"

#include <gtest/gtest.h>

#include <sstream>

#include "prometheus/text_serializer.h"

namespace ha::director::metrics {
namespace {

using namespace std::chrono_literals;

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

std::string text(const std::vector<prometheus::MetricFamily>& families) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

const prometheus::MetricFamily* find(const std::vector<prometheus::MetricFamily>& families,
                                     std::string_view name) {
  for (const auto& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

RealSnapshot real(const char* address, uint32_t weight, TrafficCounters counters, uint64_t active) {
  RealSnapshot r;
  r.real.endpoint = {ip(address), 8080};
  r.real.weight = weight;
  r.sinceStart = counters;
  r.counters = {};  // as after `directorctl -Z`: the metrics read sinceStart, never this
  r.activeConns = active;
  r.inactiveConns = 1;
  return r;
}

DirectorSnapshot oneService() {
  DirectorSnapshot snap;
  ServiceSnapshot s;
  s.plan.key = {Protocol::kTcp, ip("192.0.2.10"), 80};
  s.reals.push_back(real("198.51.100.11", 3, {7, 70, 60, 7000, 60000}, 2));
  s.reals.push_back(real("198.51.100.12", 0, {5, 50, 40, 5000, 40000}, 0));
  s.sinceStart = {12, 120, 100, 12000, 100000};
  snap.services.push_back(s);
  return snap;
}

// Per service and per real, with node_exporter's label names in its order; counters as counters,
// connections active/inactive and weight as gauges; the text is what Prometheus reads.
TEST(MetricsFamilies, IpvsPerServiceAndPerReal) {
  MetricsInputs in;
  in.version = "0.1.0";
  in.director = oneService();
  const auto families = toFamilies(in);
  const std::string out = text(families);
  EXPECT_NE(
      out.find("directord_ipvs_connections_total{local_address=\"192.0.2.10\",local_port=\"80\","
               "proto=\"TCP\",local_mark=\"\"} 12\n"),
      std::string::npos)
      << out;
  const std::string backend11 =
      "{local_address=\"192.0.2.10\",local_port=\"80\",remote_address=\"198.51.100.11\",remote_"
      "port=\"8080\","
      "proto=\"TCP\",local_mark=\"\"}";
  for (const std::string& line :
       {"directord_ipvs_backend_connections_total" + backend11 + " 7\n",
        "directord_ipvs_backend_incoming_packets_total" + backend11 + " 70\n",
        "directord_ipvs_backend_outgoing_packets_total" + backend11 + " 60\n",
        "directord_ipvs_backend_incoming_bytes_total" + backend11 + " 7000\n",
        "directord_ipvs_backend_outgoing_bytes_total" + backend11 + " 60000\n",
        "directord_ipvs_backend_connections_active" + backend11 + " 2\n",
        "directord_ipvs_backend_connections_inactive" + backend11 + " 1\n",
        "directord_ipvs_backend_weight" + backend11 + " 3\n"}) {
    EXPECT_NE(out.find(line), std::string::npos) << line << "\n" << out;
  }
  const auto* weight = find(families, "directord_ipvs_backend_weight");
  ASSERT_NE(weight, nullptr);
  EXPECT_EQ(weight->type, prometheus::MetricType::Gauge);
  ASSERT_EQ(weight->metric.size(), 2u);
  EXPECT_EQ(weight->metric[1].gauge.value, 0.0);  // drained
  EXPECT_EQ(find(families, "directord_ipvs_incoming_bytes_total")->type,
            prometheus::MetricType::Counter);
  EXPECT_NE(out.find("directord_build_info{version=\"0.1.0\"} 1\n"), std::string::npos);
  EXPECT_NE(out.find("directord_scrape_collector_success{collector=\"ipvs\"} 1\n"),
            std::string::npos);
}

// Nothing answered but the exporter itself: build info, every collector failed, no other family
// (an absent family is not a family of zeros).
TEST(MetricsFamilies, PartsThatDidNotAnswerAreLeftOut) {
  MetricsInputs in;
  in.version = "0.1.0";
  const auto families = toFamilies(in);
  ASSERT_EQ(families.size(), 2u) << text(families);
  EXPECT_EQ(families[0].name, "directord_build_info");
  EXPECT_EQ(families[1].name, "directord_scrape_collector_success");
  ASSERT_EQ(families[1].metric.size(), 5u);
  for (const auto& m : families[1].metric) EXPECT_EQ(m.gauge.value, 0.0) << m.label[0].value;
}

// keepalived-exporter's VRRP families: the state per virtual address with its device, counters on
// (iname, intf, vrid, state); drops grouped as keepalived groups them, and each reason by name.
TEST(MetricsFamilies, VrrpAsKeepalivedExporter) {
  vrrp::RouterSnapshot snap;
  vrrp::InstanceStatus& vi = snap.instances.emplace_back();
  vi.name = "VI_1";
  vi.interface = "eth0";
  vi.vrid = 51;
  vi.state = vrrp::State::kMaster;
  vi.effectivePriority = 150;
  vi.transitions = 2;
  vi.addresses = {"192.0.2.100/24 dev eth0", "fd00::100/64 dev eth1"};
  vi.counters.advertsSent = 40;
  vi.counters.advertsReceived = 3;
  vi.counters.becameMaster = 1;
  vi.counters.addressListMismatch = 1;
  vi.counters.dropped[static_cast<size_t>(vrrp::DropReason::kTooShort)] = 2;
  vi.counters.dropped[static_cast<size_t>(vrrp::DropReason::kTooLong)] = 1;
  vi.counters.dropped[static_cast<size_t>(vrrp::DropReason::kAddressCount)] = 4;
  vi.counters.dropped[static_cast<size_t>(vrrp::DropReason::kBadTtl)] = 5;
  snap.counters.dropped[static_cast<size_t>(vrrp::DropReason::kUnknownVrid)] = 9;
  MetricsInputs in;
  in.vrrp = snap;
  const std::string out = text(toFamilies(in));
  const std::string labels = R"({iname="VI_1",intf="eth0",vrid="51",state="MASTER"})";
  for (const std::string& line : {
           std::string("directord_vrrp_state{iname=\"VI_1\",intf=\"eth0\",vrid=\"51\",ip_address="
                       "\"192.0.2.100\"} 2\n"),
           std::string("directord_vrrp_state{iname=\"VI_1\",intf=\"eth1\",vrid=\"51\",ip_address="
                       "\"fd00::100\"} 2\n"),
           "directord_vrrp_advertisements_sent_total" + labels + " 40\n",
           "directord_vrrp_advertisements_received_total" + labels + " 3\n",
           "directord_vrrp_become_master_total" + labels + " 1\n",
           "directord_vrrp_release_master_total" + labels + " 0\n",
           "directord_vrrp_transitions_total" + labels + " 2\n",
           "directord_vrrp_packet_length_errors_total" + labels + " 3\n",
           "directord_vrrp_address_list_errors_total" + labels + " 5\n",
           "directord_vrrp_ip_ttl_errors_total" + labels + " 5\n",
           "directord_vrrp_priority" + labels + " 150\n",
           std::string("directord_vrrp_dropped_total{iname=\"VI_1\",intf=\"eth0\",vrid=\"51\","
                       "state=\"MASTER\","
                       "reason=\"too_short\"} 2\n"),
           std::string("directord_vrrp_unmatched_dropped_total{reason=\"unknown_vrid\"} 9\n"),
       }) {
    EXPECT_NE(out.find(line), std::string::npos) << line << "\n" << out;
  }
}

// Checker state, probes and failures by reason on the real's backend labels; the probe-latency
// histogram per kind with cumulative buckets and one +Inf bucket.
TEST(MetricsFamilies, HealthCheckersAndProbeLatency) {
  DirectorSnapshot snap = oneService();
  snap.services[0].reals[1].real.healthy = false;
  healthcheck::RealStatus status;
  healthcheck::CheckerStatus& checker = status.checkers.emplace_back();
  checker.kind = "HTTP_GET";
  checker.target = "198.51.100.12:8080 /health";
  checker.up = false;
  checker.probes = 9;
  checker.failures = 4;
  checker.failuresByReason = {{"connect-refused", 3}, {"status-mismatch", 1}};
  snap.services[0].reals[1].health = status;
  snap.probeLatencyByKind["HTTP_GET"].observe(2ms);
  snap.probeLatencyByKind["HTTP_GET"].observe(30s);
  MetricsInputs in;
  in.director = snap;
  const std::string out = text(toFamilies(in));
  const std::string backend12 =
      "local_address=\"192.0.2.10\",local_port=\"80\",remote_address=\"198.51.100.12\",remote_port="
      "\"8080\","
      "proto=\"TCP\",local_mark=\"\"";
  const std::string checkerLabels =
      backend12 + R"(,kind="HTTP_GET",target="198.51.100.12:8080 /health")";
  for (const std::string& line : {
           "directord_health_real_up{" + backend12 + "} 0\n",
           "directord_health_checker_up{" + checkerLabels + "} 0\n",
           "directord_health_probes_total{" + checkerLabels + "} 9\n",
           "directord_health_failures_total{" + checkerLabels + ",reason=\"connect-refused\"} 3\n",
           "directord_health_failures_total{" + checkerLabels + ",reason=\"status-mismatch\"} 1\n",
           std::string("directord_health_probe_duration_seconds_bucket{kind=\"HTTP_GET\",le=\"0."
                       "001\"} 0\n"),
           std::string("directord_health_probe_duration_seconds_bucket{kind=\"HTTP_GET\",le=\"0."
                       "0025\"} 1\n"),
           std::string(
               "directord_health_probe_duration_seconds_bucket{kind=\"HTTP_GET\",le=\"10\"} 1\n"),
           std::string(
               "directord_health_probe_duration_seconds_bucket{kind=\"HTTP_GET\",le=\"+Inf\"} 2\n"),
           std::string("directord_health_probe_duration_seconds_count{kind=\"HTTP_GET\"} 2\n"),
       }) {
    EXPECT_NE(out.find(line), std::string::npos) << line << "\n" << out;
  }
  const size_t inf = out.find("le=\"+Inf\"");
  EXPECT_EQ(out.find("le=\"+Inf\"", inf + 1), std::string::npos) << "one +Inf bucket\n" << out;
}

// Sync only when configured; per peer: streams, queue, lag in seconds, bulks, rejections by reason.
TEST(MetricsFamilies, SyncPerPeer) {
  MetricsInputs off;
  off.sync = sync::SyncSnapshot{};
  for (const auto& f : toFamilies(off))
    EXPECT_EQ(f.name.rfind("directord_sync_", 0), std::string::npos) << f.name;

  sync::SyncSnapshot snap;
  snap.enabled = true;
  snap.ready = true;
  sync::PeerSnapshot& peer = snap.peers.emplace_back();
  peer.name = "dir2";
  peer.outgoingUp = true;
  peer.queueDepth = 17;
  peer.inFlight = 4;
  peer.lagP50Ms = 1.5;
  peer.lagP99Ms = 12.0;
  peer.bulksSent = 2;
  peer.lastBulkSentMs = 250.0;
  peer.rejectedBy[static_cast<size_t>(sync::Rejection::kQuota)] = 6;
  MetricsInputs in;
  in.sync = snap;
  const std::string out = text(toFamilies(in));
  for (const char* line : {
           "directord_sync_ready 1\n",
           "directord_sync_peer_up{peer=\"dir2\",direction=\"outgoing\"} 1\n",
           "directord_sync_peer_up{peer=\"dir2\",direction=\"incoming\"} 0\n",
           "directord_sync_queue_depth{peer=\"dir2\"} 17\n",
           "directord_sync_in_flight{peer=\"dir2\"} 4\n",
           "directord_sync_lag_p50_seconds{peer=\"dir2\"} 0.0015\n",
           "directord_sync_lag_p99_seconds{peer=\"dir2\"} 0.012\n",
           "directord_sync_bulk_duration_seconds{peer=\"dir2\",direction=\"sent\"} 0.25\n",
           "directord_sync_rejected_total{peer=\"dir2\",reason=\"quota\"} 6\n",
           "directord_sync_rejected_total{peer=\"dir2\",reason=\"bad-tuple\"} 0\n",
       }) {
    EXPECT_NE(out.find(line), std::string::npos) << line << "\n" << out;
  }
  EXPECT_EQ(out.find("directord_sync_bulk_duration_seconds{peer=\"dir2\",direction=\"received\"}"),
            std::string::npos);  // no bulk received yet: no sample
}

// Forwarder commits, their latency and drift repairs; conntrack usage once a sample exists.
TEST(MetricsFamilies, ForwarderAndConntrack) {
  ForwarderStatus forwarder;
  forwarder.commits = 3;
  forwarder.commitFailures = 1;
  forwarder.commitLatency.observe(600us);
  forwarder.drifts = 2;
  forwarder.repairs = 1;
  ConntrackStatus conntrack;
  MetricsInputs in;
  in.forwarder = forwarder;
  in.conntrack = conntrack;
  std::string out = text(toFamilies(in));
  for (const char* line : {
           "directord_forwarder_commits_total 3\n",
           "directord_forwarder_commit_failures_total 1\n",
           "directord_forwarder_commit_duration_seconds_bucket{le=\"0.001\"} 1\n",
           "directord_forwarder_commit_duration_seconds_count 1\n",
           "directord_forwarder_drifts_total 2\n",
           "directord_forwarder_drift_repairs_total 1\n",
       }) {
    EXPECT_NE(out.find(line), std::string::npos) << line << "\n" << out;
  }
  EXPECT_EQ(out.find("directord_conntrack_"), std::string::npos);  // no sample yet
  in.conntrack->kernel = ConntrackStats{};
  in.conntrack->kernel->entries = 120;
  in.conntrack->kernel->max = 65536;
  in.conntrack->pressure = "table full";
  out = text(toFamilies(in));
  EXPECT_NE(out.find("directord_conntrack_entries 120\n"), std::string::npos) << out;
  EXPECT_NE(out.find("directord_conntrack_max 65536\n"), std::string::npos) << out;
  EXPECT_NE(out.find("directord_conntrack_pressure 1\n"), std::string::npos) << out;
}

}  // namespace
}  // namespace ha::director::metrics
