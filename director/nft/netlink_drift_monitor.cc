#include "director/nft/netlink_drift_monitor.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/filter.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <climits>
#include <utility>

#include "director/nft/nftnl_util.h"

namespace ha::director::nft {
namespace {

// Bursts from a foreign `nft -f` of a big ruleset must fit; what does not is an overrun.
constexpr int kReceiveBuffer = 4 << 20;

// Classic BPF over the first netlink header of each datagram: drop it when nlmsg_pid (offset 12)
// is our writer's portid. One transaction's notifications share a portid, and the kernel packs
// them into datagrams per transaction, so the first header speaks for the datagram. BPF_ABS loads
// are big-endian; nlmsg_pid is in host order, hence ntohl on the constant.
Status attachOwnFilter(int fd, uint32_t ourPortId) {
  std::array<sock_filter, 4> code = {{
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 12),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl(ourPortId), 0, 1),
      BPF_STMT(BPF_RET | BPF_K, 0),
      BPF_STMT(BPF_RET | BPF_K, UINT_MAX),
  }};
  sock_fprog program{static_cast<unsigned short>(code.size()), code.data()};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) != 0) {
    return Error{"attach socket filter: " + detail::errnoText(errno)};
  }
  return okStatus();
}

}  // namespace

NetlinkDriftMonitor::NetlinkDriftMonitor(mnl_socket* socket, DriftDetector detector)
    : socket_(socket), detector_(std::move(detector)), buffer_(MNL_SOCKET_BUFFER_SIZE * 4) {}

NetlinkDriftMonitor::~NetlinkDriftMonitor() { mnl_socket_close(socket_); }

int NetlinkDriftMonitor::fd() const { return mnl_socket_get_fd(socket_); }

Result<std::unique_ptr<NetlinkDriftMonitor>> NetlinkDriftMonitor::open(std::vector<TableId> ours,
                                                                       uint32_t ourPortId) {
  mnl_socket* socket = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (socket == nullptr) return Error{"open NETLINK_NETFILTER socket: " + detail::errnoText(errno)};
  std::unique_ptr<NetlinkDriftMonitor> monitor(
      new NetlinkDriftMonitor(socket, DriftDetector(std::move(ours), ourPortId)));
  const int fd = monitor->fd();
  // Filter before subscribing, so no notification of ours is ever queued.
  if (auto st = attachOwnFilter(fd, ourPortId); !st) return Error{st.error()};
  if (mnl_socket_bind(socket, 0, MNL_SOCKET_AUTOPID) < 0) {
    return Error{"bind NETLINK_NETFILTER socket: " + detail::errnoText(errno)};
  }
  int group = NFNLGRP_NFTABLES;
  if (mnl_socket_setsockopt(socket, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0) {
    return Error{"join NFNLGRP_NFTABLES: " + detail::errnoText(errno)};
  }
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &kReceiveBuffer, sizeof kReceiveBuffer) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kReceiveBuffer, sizeof kReceiveBuffer);
  }
  return monitor;
}

Result<DriftRead> NetlinkDriftMonitor::read(std::vector<Drift>& out) {
  DriftRead result;
  for (;;) {
    const ssize_t n = recv(fd(), buffer_.data(), buffer_.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return result;
      if (errno == ENOBUFS) {
        result.overrun = true;
        continue;
      }
      return Error{"read nf_tables notifications: " + detail::errnoText(errno)};
    }
    int len = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<const nlmsghdr*>(buffer_.data()); mnl_nlmsg_ok(nlh, len);
         nlh = mnl_nlmsg_next(nlh, &len)) {
      if (auto event = parseNftEvent(nlh)) {
        if (auto drift = detector_.feed(*event)) out.push_back(std::move(*drift));
      }
    }
  }
}

}  // namespace ha::director::nft
