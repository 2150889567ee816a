#include "director/conntrack/flow_accounting.h"

#include <fstream>
#include <sstream>

#include "common/log.h"

namespace ha::director {
namespace {

Status enableAccounting(const std::string& procNetfilter) {
  const std::string path = procNetfilter + "/nf_conntrack_acct";
  std::string now;
  if (std::ifstream in(path); !(in >> now)) return Error{"cannot read " + path};
  if (now == "1") return okStatus();
  std::ofstream out(path);
  if (!(out << "1\n") || !out.flush()) return Error{"cannot write 1 to " + path};
  log::info("conntrack accounting turned on (" + path +
            " = 1) for per-real counters; flows older than this are not counted");
  return okStatus();
}

}  // namespace

Result<std::unique_ptr<NetfilterFlowAccounting>> NetfilterFlowAccounting::open(
    const std::string& procNetfilter) {
  if (auto st = enableAccounting(procNetfilter); !st) return Error{st.error()};
  auto table = conntrack::NetlinkConntrack::open(conntrack::NetlinkConntrack::Mode::kDestroyEvents);
  if (!table) return Error{table.error()};
  return std::unique_ptr<NetfilterFlowAccounting>(
      new NetfilterFlowAccounting(std::move(table.value())));
}

Result<std::vector<AccountedFlow>> NetfilterFlowAccounting::live() {
  auto entries = table_->dumpWithIds();
  if (!entries) return Error{entries.error()};
  std::vector<AccountedFlow> flows;
  flows.reserve(entries.value().size());
  for (const conntrack::KernelEntry& entry : entries.value()) flows.push_back(accountedFlow(entry));
  return flows;
}

int NetfilterFlowAccounting::finishedFd() const { return table_->eventFd(); }

Result<FinishedRead> NetfilterFlowAccounting::finished() {
  std::vector<conntrack::KernelEntry> entries;
  auto read = table_->readDestroyed(entries);
  if (!read) return Error{read.error()};
  FinishedRead out;
  out.overrun = read.value().overrun;
  out.flows.reserve(entries.size());
  for (const conntrack::KernelEntry& entry : entries) out.flows.push_back(accountedFlow(entry));
  return out;
}

}  // namespace ha::director
