#pragma once
// The text of the SIGUSR1 / SIGUSR2 dumps, laid out as keepalived's (vrrp_print.c / check_print.c):
// section headers "------< NAME >------", one item per " Key = value" line indented by one space,
// its fields by three, lists by five. The VRRP part is what keepalived-exporter parses
// (` VRRP Instance = VI_1`, `   State = MASTER`, `   Virtual IP (1):`) and the stats part what it
// parses from keepalived.stats (`VRRP Instance: VI_1`, `  Advertisements:`, `    Received: 3`).
// Pure: the node's snapshots in, text out; a thread that did not answer is said in its section.
#include <chrono>
#include <string>

#include "common/result.h"
#include "director/node/director_view.h"
#include "sync/sync_snapshot.h"
#include "vrrp/router.h"

namespace ha::director {

// keepalived's file names; the directory is directord's --dump-dir (default /tmp, as keepalived).
inline constexpr std::string_view kDataDumpFile = "keepalived.data";
inline constexpr std::string_view kStatsDumpFile = "keepalived.stats";

struct DumpInputs {
  Result<DirectorSnapshot> director;
  Result<vrrp::RouterSnapshot> vrrp;
  Result<sync::SyncSnapshot> sync;
  std::chrono::system_clock::time_point now;
};

// SIGUSR1: VRRP topology, LVS topology (services, reals, health), connection sync.
std::string dataDumpText(const DumpInputs& inputs);
// SIGUSR2: per VRRP instance, keepalived's advert / error / priority-zero counters.
std::string statsDumpText(const Result<vrrp::RouterSnapshot>& vrrp);

}  // namespace ha::director
