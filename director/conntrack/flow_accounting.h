#pragma once
// The kernel side of the per-real counters (flow_ledger.h): conntrack accounting turned on, our
// live flows with their counters (a dump), and the destroy events that carry a finished flow's
// final counters.
//
// Accounting is a per-namespace switch (net.netfilter.nf_conntrack_acct): the kernel adds the
// counters extension to an entry when it is created, and no interface turns it on per flow (nft's
// `ct bytes` and xt_connbytes flip the same switch). Flows created before it was on carry none.
#include <memory>
#include <string>
#include <vector>

#include "common/conntrack/netlink_conntrack.h"
#include "common/result.h"
#include "director/conntrack/flow_ledger.h"

namespace ha::director {

struct FinishedRead {
  std::vector<AccountedFlow> flows;
  bool overrun = false;  // the kernel dropped destroy events: those flows' bytes are lost
};

class FlowAccountingPort {
 public:
  virtual ~FlowAccountingPort() = default;
  // Our flows now, with their counters, ids and states (also what ActiveConn/InActConn count).
  virtual Result<std::vector<AccountedFlow>> live() = 0;
  // Readable when destroy events are queued (watched by the director io_context).
  virtual int finishedFd() const = 0;
  // The destroyed flows queued so far, without blocking.
  virtual Result<FinishedRead> finished() = 0;
};

// The current network namespace. open() turns accounting on (and says so when it was off).
class NetfilterFlowAccounting final : public FlowAccountingPort {
 public:
  static Result<std::unique_ptr<NetfilterFlowAccounting>> open(
      const std::string& procNetfilter = "/proc/sys/net/netfilter");
  Result<std::vector<AccountedFlow>> live() override;
  int finishedFd() const override;
  Result<FinishedRead> finished() override;

 private:
  explicit NetfilterFlowAccounting(std::unique_ptr<conntrack::NetlinkConntrack> table)
      : table_(std::move(table)) {}
  std::unique_ptr<conntrack::NetlinkConntrack> table_;
};

}  // namespace ha::director
