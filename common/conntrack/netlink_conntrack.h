#pragma once
// The production ConntrackPort: ctnetlink through libmnl + libnetfilter_conntrack, in the network
// namespace of the thread that opens it. The one adapter that dumps our flows: sync opens it with
// events; the director's forwarder (director/conntrack: counts, dead reals' flows deleted) opens
// it for dump and apply only.
//
//   apply socket  (unicast): filtered dumps, batched CT_NEW / CT_DELETE with one ack each
//   event socket  (NFNLGRP_CONNTRACK_NEW|UPDATE|DESTROY, non-blocking, 8 MB, BPF on our mark tag)
//
// Our own writes come back as events carrying the apply socket's portid in nlmsg_pid (the kernel
// reports NETLINK_CB(skb).portid of the request that caused them; packet-driven events carry 0):
// readEvents() drops those, so a peer's flows are not echoed back to it.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/conntrack/conntrack_port.h"
#include "common/result.h"

struct mnl_socket;

namespace ha::conntrack {

class NetlinkConntrack final : public ConntrackPort {
 public:
  enum class Mode : uint8_t {
    kEvents,        // dump, apply and the event socket (sync)
    kDumpAndApply,  // no event socket: eventFd() is -1 and readEvents() an error
    // Dump and apply, and an event socket for destroyed entries only (the director's per-real
    // counters: a finished flow's bytes arrive in its destroy event; read with readDestroyed()).
    kDestroyEvents,
  };
  static Result<std::unique_ptr<NetlinkConntrack>> open(Mode mode = Mode::kEvents);
  ~NetlinkConntrack() override;
  NetlinkConntrack(const NetlinkConntrack&) = delete;
  NetlinkConntrack& operator=(const NetlinkConntrack&) = delete;

  Result<std::vector<FlowEntry>> dump() override;
  ApplyReport apply(const std::vector<FlowUpdate>& updates) override;
  TimeoutLimits timeoutLimits() override;
  std::vector<bool> present(const std::vector<FlowEntry>& entries) override;
  int eventFd() const override;
  Result<EventRead> readEvents(std::vector<FlowUpdate>& out) override;

  // The destroyed entries of our flows queued on the event socket (kDestroyEvents), with their
  // ids and, when accounting was on, their final counters; our own deletes included.
  Result<EventRead> readDestroyed(std::vector<KernelEntry>& out);

  // dump() with each entry's kernel id (and its counters, when accounted), for removeExactly().
  Result<std::vector<KernelEntry>> dumpWithIds();
  // Deletes each entry by original tuple and, when known, its id: an entry that took the same
  // tuple since the dump is left alone and counts as missing, like one already gone.
  ApplyReport removeExactly(const std::vector<KernelEntry>& entries);

  uint32_t applyPortId() const { return applyPortId_; }
  // False when the kernel refused the BPF filter: events are then filtered in user space only.
  bool kernelEventFilter() const { return kernelEventFilter_; }

 private:
  struct Request;  // one message of a batch and what became of it
  NetlinkConntrack() = default;
  // Sends `requests` in batches of at most kBatchBytes, one sendmsg each, and fills in each
  // request's errno from its ack (ETIMEDOUT if the ack never came).
  Status runBatches(std::vector<Request>& requests);
  Status collectAcks(std::vector<Request>& requests, size_t first, size_t end);
  Status dumpInto(std::vector<KernelEntry>& entries);
  template <typename Take>
  Result<EventRead> drainEvents(Take&& take);

  mnl_socket* applySocket_ = nullptr;
  mnl_socket* eventSocket_ = nullptr;
  uint32_t applyPortId_ = 0;
  uint32_t seq_ = 0;
  bool kernelEventFilter_ = false;
  bool warnedTimeouts_ = false;
  size_t maxBatchMessages_ = 0;  // bounded by the apply socket's receive buffer (acks must fit)
  // Event reads come one datagram per event, thousands a second under new-connection load: a
  // buffer allocated (and zeroed) per read was a 256 KiB mmap, memset and munmap per wakeup.
  std::vector<char> eventBuffer_;
};

}  // namespace ha::conntrack
