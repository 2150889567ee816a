#include "common/conntrack/netlink_conntrack.h"

#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <unordered_map>

#include "common/conntrack/netlink_conntrack_codec.h"
#include "common/log.h"

namespace ha::conntrack {
namespace {

// One sendmsg carries up to this many bytes of requests (~250 creates).
constexpr size_t kBatchBytes = 64 * 1024;
constexpr int kSocketBufferBytes = 8 * 1024 * 1024;
// Receive-buffer cost of the answers to one create: its ack and its echo (skb truesize).
constexpr size_t kAnswerBytesPerMessage = 4096;
constexpr int kAckTimeoutMs = 5000;
constexpr int kAckTimeoutAfterOverrunMs = 200;
constexpr size_t kReceiveBytes = 256 * 1024;
constexpr size_t kMaxEventReadsPerCall = 1 << 16;

std::string errnoText(const char* what, int err) {
  return std::string(what) + ": " + std::strerror(err);
}

uint8_t ctnlMessage(const nlmsghdr* nlh) {
  if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_CTNETLINK) return 0xff;
  return static_cast<uint8_t>(nlh->nlmsg_type & 0xff);
}

// SO_RCVBUFFORCE needs CAP_NET_ADMIN; without it SO_RCVBUF is capped at net.core.rmem_max.
int growReceiveBuffer(int fd) {
  int bytes = kSocketBufferBytes;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  }
  int actual = 0;
  socklen_t len = sizeof actual;
  getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &actual, &len);
  return actual;
}

Result<mnl_socket*> openSocket(unsigned groups) {
  mnl_socket* sock = mnl_socket_open(NETLINK_NETFILTER);
  if (sock == nullptr) return Error{errnoText("conntrack: cannot open netlink socket", errno)};
  if (mnl_socket_bind(sock, groups, MNL_SOCKET_AUTOPID) < 0) {
    const int err = errno;
    mnl_socket_close(sock);
    return Error{errnoText(groups != 0 ? "conntrack: cannot join the conntrack event groups"
                                       : "conntrack: cannot bind netlink socket",
                           err)};
  }
  return sock;
}

// A BPF program in the kernel drops events of other flows before they use our receive buffer.
bool attachEventFilter(int fd) {
  nfct_filter* filter = nfct_filter_create();
  if (filter == nullptr) return false;
  nfct_filter_dump_mark mark{kMarkTag, kMarkTagMask};
  nfct_filter_add_attr(filter, NFCT_FILTER_MARK, &mark);
  nfct_filter_add_attr_u32(filter, NFCT_FILTER_L4PROTO, kProtoTcp);
  nfct_filter_add_attr_u32(filter, NFCT_FILTER_L4PROTO, kProtoUdp);
  const bool ok = nfct_filter_attach(fd, filter) == 0;
  nfct_filter_destroy(filter);
  return ok;
}

}  // namespace

struct NetlinkConntrack::Request {
  enum class Kind : uint8_t { kCreate, kUpdate, kRemove, kGet };
  Request(const FlowEntry& flow, size_t at, Kind what, std::optional<uint32_t> kernelId = {})
      : entry(&flow), index(at), kind(what), id(kernelId) {}

  const FlowEntry* entry;
  size_t index;  // of the entry in the caller's input
  Kind kind;
  int error = 0;
  bool answered = false;
  std::optional<FlowTuple> echoedReply;  // the reply tuple the kernel gave a created entry
  std::optional<uint32_t> id;            // a kRemove of this kernel entry only
};

Result<std::unique_ptr<NetlinkConntrack>> NetlinkConntrack::open(Mode mode) {
  std::unique_ptr<NetlinkConntrack> ct(new NetlinkConntrack());
  auto apply = openSocket(0);
  if (!apply) return Error{apply.error()};
  ct->applySocket_ = apply.value();
  ct->applyPortId_ = mnl_socket_get_portid(ct->applySocket_);
  const int applyFd = mnl_socket_get_fd(ct->applySocket_);
  int one = 1;
  // Error acks without a copy of the request: the seq is enough to map them back.
  setsockopt(applyFd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  const int applyBuffer = growReceiveBuffer(applyFd);
  ct->maxBatchMessages_ =
      std::max<size_t>(16, static_cast<size_t>(applyBuffer) / kAnswerBytesPerMessage);
  if (mode == Mode::kDumpAndApply) return ct;

  const unsigned groups =
      mode == Mode::kDestroyEvents
          ? NF_NETLINK_CONNTRACK_DESTROY
          : NF_NETLINK_CONNTRACK_NEW | NF_NETLINK_CONNTRACK_UPDATE | NF_NETLINK_CONNTRACK_DESTROY;
  auto events = openSocket(groups);
  if (!events) return Error{events.error()};
  ct->eventSocket_ = events.value();
  const int eventFd = mnl_socket_get_fd(ct->eventSocket_);
  const int flags = fcntl(eventFd, F_GETFL);
  if (flags < 0 || fcntl(eventFd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return Error{errnoText("conntrack: cannot make the event socket non-blocking", errno)};
  }
  growReceiveBuffer(eventFd);
  int zero = 0;  // we want ENOBUFS: a lost event means a re-dump
  setsockopt(eventFd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &zero, sizeof zero);
  ct->kernelEventFilter_ = attachEventFilter(eventFd);
  return ct;
}

NetlinkConntrack::~NetlinkConntrack() {
  if (eventSocket_ != nullptr) mnl_socket_close(eventSocket_);
  if (applySocket_ != nullptr) mnl_socket_close(applySocket_);
}

int NetlinkConntrack::eventFd() const {
  return eventSocket_ != nullptr ? mnl_socket_get_fd(eventSocket_) : -1;
}

namespace {

int onDumpEntry(const nlmsghdr* nlh, void* data) {
  auto* entries = static_cast<std::vector<KernelEntry>*>(data);
  auto parsed = ctnl::parseKernelEntry(nlh);
  // Untrusted: an entry that does not parse is skipped; so is one of another tag (old kernels
  // ignore CTA_MARK_MASK in dump filters).
  if (!parsed || (parsed->flow.mark & kMarkTagMask) != kMarkTag) return MNL_CB_OK;
  entries->push_back(*parsed);
  return MNL_CB_OK;
}

}  // namespace

Status NetlinkConntrack::dumpInto(std::vector<KernelEntry>& entries) {
  std::vector<char> buf(kReceiveBytes);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  const uint32_t seq = ++seq_;
  ctnl::buildDump(nlh, seq);
  if (mnl_socket_sendto(applySocket_, nlh, nlh->nlmsg_len) < 0) {
    return Error{errnoText("conntrack: dump request failed", errno)};
  }
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(applySocket_, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error{errnoText("conntrack: dump failed", errno)};
    }
    const int rc =
        mnl_cb_run(buf.data(), static_cast<size_t>(n), seq, applyPortId_, onDumpEntry, &entries);
    if (rc == MNL_CB_STOP) break;
    if (rc < 0) return Error{errnoText("conntrack: dump failed", errno)};
  }
  return okStatus();
}

Result<std::vector<FlowEntry>> NetlinkConntrack::dump() {
  std::vector<KernelEntry> entries;
  if (auto st = dumpInto(entries); !st) return Error{st.error()};
  std::vector<FlowEntry> flows;
  flows.reserve(entries.size());
  for (const KernelEntry& entry : entries) flows.push_back(entry.flow);
  return flows;
}

Result<std::vector<KernelEntry>> NetlinkConntrack::dumpWithIds() {
  std::vector<KernelEntry> entries;
  if (auto st = dumpInto(entries); !st) return Error{st.error()};
  return entries;
}

Status NetlinkConntrack::runBatches(std::vector<Request>& requests) {
  std::vector<char> buf(kBatchBytes + ctnl::kMaxMessageBytes);
  size_t i = 0;
  while (i < requests.size()) {
    const size_t first = i;
    mnl_nlmsg_batch* batch = mnl_nlmsg_batch_start(buf.data(), kBatchBytes);
    const uint32_t firstSeq = seq_ + 1;
    size_t count = 0;
    for (; i < requests.size() && count < maxBatchMessages_; ++i) {
      Request& r = requests[i];
      auto* nlh = mnl_nlmsg_put_header(mnl_nlmsg_batch_current(batch));
      const uint32_t seq = firstSeq + static_cast<uint32_t>(i - first);
      const auto upsertKind =
          r.kind == Request::Kind::kCreate ? ctnl::UpsertKind::kCreate : ctnl::UpsertKind::kUpdate;
      const bool built =
          r.kind == Request::Kind::kRemove ? ctnl::buildRemove(nlh, *r.entry, seq, r.id)
          : r.kind == Request::Kind::kGet  ? ctnl::buildGet(nlh, *r.entry, seq)
                                           : ctnl::buildUpsert(nlh, *r.entry, upsertKind, seq);
      if (!built) {
        // Not sent: a no-op message keeps seq == firstSeq + index without a gap.
        nlh = mnl_nlmsg_put_header(mnl_nlmsg_batch_current(batch));
        nlh->nlmsg_type = NLMSG_NOOP;
        nlh->nlmsg_flags = NLM_F_REQUEST;
        nlh->nlmsg_seq = seq;
        r.error = EINVAL;
        r.answered = true;
      }
      if (!mnl_nlmsg_batch_next(batch)) break;  // did not fit: first of the next batch
      ++count;
    }
    const size_t end = first + count;
    i = end;
    seq_ = firstSeq + static_cast<uint32_t>(count) - 1;
    const ssize_t sent =
        mnl_socket_sendto(applySocket_, mnl_nlmsg_batch_head(batch), mnl_nlmsg_batch_size(batch));
    const int sendErr = errno;
    mnl_nlmsg_batch_stop(batch);
    if (sent < 0) return Error{errnoText("conntrack: batch send failed", sendErr)};
    if (auto st = collectAcks(requests, first, end); !st) return st;
  }
  return okStatus();
}

Status NetlinkConntrack::collectAcks(std::vector<Request>& requests, size_t first, size_t end) {
  const uint32_t firstSeq = seq_ + 1 - static_cast<uint32_t>(end - first);
  size_t pending = 0;
  std::unordered_map<FlowKey, size_t, FlowKeyHash> creates;  // echoes carry seq 0: match by key
  for (size_t i = first; i < end; ++i) {
    if (!requests[i].answered) ++pending;
    if (requests[i].kind == Request::Kind::kCreate) creates.emplace(requests[i].entry->key(), i);
  }
  std::vector<char> buf(kReceiveBytes);
  const int fd = mnl_socket_get_fd(applySocket_);
  int timeoutMs = kAckTimeoutMs;
  bool overrun = false;
  while (pending > 0) {
    pollfd pfd{fd, POLLIN, 0};
    const int ready = poll(&pfd, 1, timeoutMs);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    const ssize_t n = recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      if (errno == ENOBUFS) {  // some acks were dropped: collect what remains, then give up quickly
        overrun = true;
        timeoutMs = kAckTimeoutAfterOverrunMs;
        continue;
      }
      return Error{errnoText("conntrack: reading acks failed", errno)};
    }
    auto len = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<nlmsghdr*>(buf.data()); mnl_nlmsg_ok(nlh, len);
         nlh = mnl_nlmsg_next(nlh, &len)) {
      if (nlh->nlmsg_type == NLMSG_ERROR) {
        const uint32_t index = nlh->nlmsg_seq - firstSeq;
        if (index >= end - first) continue;  // stale (an earlier batch's) or foreign
        Request& r = requests[first + index];
        if (r.answered) continue;
        const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
        r.error = -err->error;
        r.answered = true;
        --pending;
      } else if (ctnlMessage(nlh) == IPCTNL_MSG_CT_NEW) {
        auto echoed = ctnl::parseEntry(nlh);
        if (!echoed) continue;
        auto it = creates.find(echoed->key());
        if (it != creates.end()) requests[it->second].echoedReply = echoed->reply;
      }
    }
  }
  for (size_t i = first; i < end; ++i) {
    if (!requests[i].answered) {
      requests[i].error = overrun ? ENOBUFS : ETIMEDOUT;
      requests[i].answered = true;
    }
  }
  return okStatus();
}

ApplyReport NetlinkConntrack::apply(const std::vector<FlowUpdate>& updates) {
  std::vector<ApplyOutcome> outcomes(updates.size(), ApplyOutcome::kFailed);
  std::string firstError;
  auto failed = [&](const Request& r, const std::string& why) {
    outcomes[r.index] = ApplyOutcome::kFailed;
    if (firstError.empty()) firstError = describe(*r.entry) + ": " + why;
  };
  std::vector<Request> pass1;
  pass1.reserve(updates.size());
  for (size_t i = 0; i < updates.size(); ++i) {
    const bool remove = updates[i].op == FlowOp::kRemove;
    const auto kind = remove ? Request::Kind::kRemove : Request::Kind::kCreate;
    pass1.emplace_back(updates[i].entry, i, kind);
  }
  if (auto st = runBatches(pass1); !st) {
    for (Request& r : pass1) {
      if (!r.answered) {
        r.answered = true;
        r.error = EIO;
      }
    }
    if (firstError.empty()) firstError = st.error();
  }
  std::vector<Request> pass2;  // existing entries: update in place (no NAT change possible)
  std::vector<Request> undo;   // created with another reply tuple than asked: taken back
  for (const Request& r : pass1) {
    if (r.kind == Request::Kind::kRemove) {
      if (r.error == 0)
        outcomes[r.index] = ApplyOutcome::kRemoved;
      else if (r.error == ENOENT)
        outcomes[r.index] = ApplyOutcome::kMissing;
      else
        failed(r, errnoText("delete refused", r.error));
    } else if (r.error == 0) {
      if (r.echoedReply && *r.echoedReply != r.entry->reply) {
        // get_unique_tuple() found the asked reply tuple in use and picked another source port.
        FlowEntry got = *r.entry;
        got.reply = *r.echoedReply;
        failed(r, "reply tuple already in use; the kernel chose " + describe(got));
        undo.emplace_back(*r.entry, r.index, Request::Kind::kRemove);
      } else {
        outcomes[r.index] = ApplyOutcome::kCreated;
      }
    } else if (r.error == EEXIST) {
      // The original or the reply tuple is taken. A create-only write leaves it at that: the
      // entry there is not the writer's to change.
      if (updates[r.index].op == FlowOp::kCreate)
        outcomes[r.index] = ApplyOutcome::kExists;
      else
        pass2.emplace_back(*r.entry, r.index, Request::Kind::kUpdate);
    } else {
      failed(r, errnoText("create refused", r.error));
    }
  }
  if (!pass2.empty()) {
    auto st = runBatches(pass2);
    if (!st && firstError.empty()) firstError = st.error();
    for (const Request& r : pass2) {
      if (r.error == 0) outcomes[r.index] = ApplyOutcome::kUpdated;
      // EEXIST on create but ENOENT on update: the reply tuple belongs to another flow.
      else if (r.error == ENOENT)
        failed(r, "reply tuple already used by another entry");
      else
        failed(r, errnoText("update refused", r.error));
    }
  }
  if (!undo.empty()) (void)runBatches(undo);
  ApplyReport report;
  for (ApplyOutcome o : outcomes) report.count(o);
  report.firstError = std::move(firstError);
  return report;
}

ApplyReport NetlinkConntrack::removeExactly(const std::vector<KernelEntry>& entries) {
  std::vector<Request> removes;
  removes.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    removes.emplace_back(entries[i].flow, i, Request::Kind::kRemove, entries[i].id);
  }
  ApplyReport report;
  auto st = runBatches(removes);
  if (!st) report.firstError = st.error();
  for (const Request& r : removes) {
    if (!r.answered) {
      report.count(ApplyOutcome::kFailed);
    } else if (r.error == 0) {
      report.count(ApplyOutcome::kRemoved);
    } else if (r.error == ENOENT) {
      report.count(ApplyOutcome::kMissing);  // gone, or another entry under the tuple now
    } else {
      report.count(ApplyOutcome::kFailed);
      if (report.firstError.empty()) {
        report.firstError = describe(*r.entry) + ": " + errnoText("delete refused", r.error);
      }
    }
  }
  return report;
}

std::vector<bool> NetlinkConntrack::present(const std::vector<FlowEntry>& entries) {
  std::vector<Request> gets;
  gets.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) gets.emplace_back(entries[i], i, Request::Kind::kGet);
  std::vector<bool> out(entries.size(), true);
  if (!runBatches(gets)) return out;  // unknown: as if present
  for (const Request& r : gets) out[r.index] = r.error != ENOENT;
  return out;
}

TimeoutLimits NetlinkConntrack::timeoutLimits() {
  std::vector<std::string> problems;
  TimeoutLimits limits = readTimeoutLimits("/proc/sys/net/netfilter", problems);
  if (!problems.empty() && !warnedTimeouts_) {
    warnedTimeouts_ = true;
    log::warning(
        "sync: cannot read " + problems.front() +
        (problems.size() > 1 ? " (and " + std::to_string(problems.size() - 1) + " more)" : "") +
        "; peers' timeouts are clamped to the kernel's defaults there");
  }
  return limits;
}

// Reads what is queued on the event socket without blocking, handing each message to `take`.
template <typename Take>
Result<EventRead> NetlinkConntrack::drainEvents(Take&& take) {
  if (eventSocket_ == nullptr) return Error{"conntrack: opened for dump and apply only: no events"};
  EventRead read;
  std::vector<char>& buf = eventBuffer_;
  if (buf.empty()) buf.resize(kReceiveBytes);
  const int fd = eventFd();
  for (size_t reads = 0; reads < kMaxEventReadsPerCall; ++reads) {
    const ssize_t n = recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {  // the kernel dropped events; drain the rest, the caller re-dumps
        read.overrun = true;
        continue;
      }
      return Error{errnoText("conntrack: reading events failed", errno)};
    }
    auto len = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<const nlmsghdr*>(buf.data()); mnl_nlmsg_ok(nlh, len);
         nlh = mnl_nlmsg_next(nlh, &len)) {
      take(nlh);
    }
  }
  return read;
}

Result<EventRead> NetlinkConntrack::readEvents(std::vector<FlowUpdate>& out) {
  return drainEvents([&](const nlmsghdr* nlh) {
    if (nlh->nlmsg_pid == applyPortId_) return;  // caused by our own apply()
    const uint8_t type = ctnlMessage(nlh);
    if (type != IPCTNL_MSG_CT_NEW && type != IPCTNL_MSG_CT_DELETE) return;
    auto entry = ctnl::parseEntry(nlh);
    if (!entry || (entry->mark & kMarkTagMask) != kMarkTag) return;
    const FlowOp op = type == IPCTNL_MSG_CT_NEW ? FlowOp::kUpsert : FlowOp::kRemove;
    out.push_back(FlowUpdate{op, *entry});
  });
}

Result<EventRead> NetlinkConntrack::readDestroyed(std::vector<KernelEntry>& out) {
  // Our own deletes count too: a dead real's flows still carried its traffic.
  return drainEvents([&](const nlmsghdr* nlh) {
    if (ctnlMessage(nlh) != IPCTNL_MSG_CT_DELETE) return;
    auto entry = ctnl::parseKernelEntry(nlh);
    if (!entry || (entry->flow.mark & kMarkTagMask) != kMarkTag) return;
    out.push_back(*entry);
  });
}

}  // namespace ha::conntrack
