#include "director/nft/netlink_writer.h"

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <ctime>
#include <utility>

#include "director/nft/nftnl_batch.h"
#include "director/nft/nftnl_util.h"

namespace ha::director::nft {
namespace {

// Receive-queue cost of one ACK: a ~52-byte message in its own skb (sk_buff +
// shared info).
constexpr size_t kAckTruesize = 1536;
constexpr size_t kBufferSlack = 1 << 20;
// ACKs are read 64 datagrams per recvmmsg(): 20k ACKs cost ~300 system calls,
// not 20k. With NETLINK_CAP_ACK an ACK or error is under 100 bytes plus
// extended-ACK TLVs.
constexpr size_t kRecvBatch = 64;
constexpr size_t kRecvSlot = 8192;
// nfnetlink processes a batch inside sendmsg(), so its replies are queued when
// it returns; the wait only bounds the damage if some kernel ever defers.
constexpr int kAckWaitMs = 2000;

// SO_*BUFFORCE (CAP_NET_ADMIN) passes net.core.{w,r}mem_max; plain SO_*BUF is
// capped by it.
size_t setBuffer(int fd, int forceOpt, int opt, size_t bytes) {
  const int value = static_cast<int>(std::min<size_t>(bytes, INT_MAX / 2));
  if (setsockopt(fd, SOL_SOCKET, forceOpt, &value, sizeof value) != 0) {
    setsockopt(fd, SOL_SOCKET, opt, &value, sizeof value);
  }
  int actual = 0;
  socklen_t len = sizeof actual;
  if (getsockopt(fd, SOL_SOCKET, opt, &actual, &len) != 0) return 0;
  return static_cast<size_t>(actual) / 2;  // the kernel doubles what it is given
}

struct AckTally {
  size_t acked = 0;
  std::vector<detail::KernelError> errors;
  bool overrun = false;    // ENOBUFS: the receive queue dropped replies
  bool truncated = false;  // a reply larger than kRecvSlot
};

void tallyDatagram(const char *data, int len, const detail::BatchBuilder &batch, AckTally &t) {
  const size_t expected = batch.messageCount();
  for (auto *nlh = reinterpret_cast<const nlmsghdr *>(data); mnl_nlmsg_ok(nlh, len);
       nlh = mnl_nlmsg_next(nlh, &len)) {
    if (nlh->nlmsg_type != NLMSG_ERROR) continue;
    auto k = detail::parseKernelError(nlh);
    // Replies to an earlier request (an abandoned dump, a batch given up on)
    // are not ours.
    if (!k || k->seq - batch.beginSeq() > expected + 1) continue;
    if (k->error == 0) {
      ++t.acked;
    } else {
      t.errors.push_back(std::move(*k));
    }
  }
}

AckTally collectAcks(int fd, const detail::BatchBuilder &batch) {
  AckTally t;
  std::vector<char> buf(kRecvBatch * kRecvSlot);
  std::array<iovec, kRecvBatch> iov{};
  std::array<mmsghdr, kRecvBatch> msgs{};
  for (size_t i = 0; i < kRecvBatch; ++i) {
    iov[i] = iovec{buf.data() + i * kRecvSlot, kRecvSlot};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  while (t.acked + t.errors.size() < batch.messageCount()) {
    const int n = recvmmsg(fd, msgs.data(), kRecvBatch, MSG_DONTWAIT, nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        t.overrun = true;
        continue;
      }
      if ((errno == EAGAIN || errno == EWOULDBLOCK) && t.errors.empty() && !t.overrun) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, kAckWaitMs) > 0) continue;
      }
      break;
    }
    for (int m = 0; m < n; ++m) {
      if ((msgs[m].msg_hdr.msg_flags & MSG_TRUNC) != 0) {
        t.truncated = true;
        continue;
      }
      tallyDatagram(buf.data() + static_cast<size_t>(m) * kRecvSlot,
                    static_cast<int>(msgs[m].msg_len), batch, t);
    }
  }
  return t;
}

}  // namespace

void NetlinkNftWriter::SocketClose::operator()(mnl_socket *s) const { mnl_socket_close(s); }

NetlinkNftWriter::NetlinkNftWriter(Socket socket)
    : socket_(std::move(socket)),
      portId_(mnl_socket_get_portid(socket_.get())),
      seq_(static_cast<uint32_t>(std::time(nullptr))) {}

NetlinkNftWriter::~NetlinkNftWriter() = default;

int NetlinkNftWriter::fd() const { return mnl_socket_get_fd(socket_.get()); }

Result<std::unique_ptr<NetlinkNftWriter>> NetlinkNftWriter::open() {
  Socket socket(mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC));
  if (!socket) return Error{"open NETLINK_NETFILTER socket: " + detail::errnoText(errno)};
  if (mnl_socket_bind(socket.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
    return Error{"bind NETLINK_NETFILTER socket: " + detail::errnoText(errno)};
  }
  // Capped ACKs do not echo our (up to 64 KB) messages back, so every reply
  // fits a small receive slot. Extended ACKs point at the attribute the kernel
  // rejected (best effort: without them an error still names its op).
  int on = 1;
  if (mnl_socket_setsockopt(socket.get(), NETLINK_CAP_ACK, &on, sizeof on) < 0) {
    return Error{"NETLINK_CAP_ACK: " + detail::errnoText(errno)};
  }
  mnl_socket_setsockopt(socket.get(), NETLINK_EXT_ACK, &on, sizeof on);
  return std::unique_ptr<NetlinkNftWriter>(new NetlinkNftWriter(std::move(socket)));
}

Status NetlinkNftWriter::fitSocketBuffers(size_t batchBytes, size_t replies) {
  const size_t wantSnd = batchBytes + kBufferSlack;
  if (wantSnd > sndbuf_) sndbuf_ = setBuffer(fd(), SO_SNDBUFFORCE, SO_SNDBUF, wantSnd);
  // netlink refuses a datagram larger than the send buffer (EMSGSIZE): fail
  // with the reason.
  if (batchBytes + 32 > sndbuf_ * 2) {
    return Error{"nf_tables batch of " + std::to_string(batchBytes) +
                 " bytes exceeds the socket send buffer (" + std::to_string(sndbuf_) +
                 "); SO_SNDBUFFORCE needs CAP_NET_ADMIN"};
  }
  const size_t wantRcv = replies * kAckTruesize + kBufferSlack;
  if (wantRcv > rcvbuf_) rcvbuf_ = setBuffer(fd(), SO_RCVBUFFORCE, SO_RCVBUF, wantRcv);
  return okStatus();
}

Status NetlinkNftWriter::commit(const Transaction &tx) {
  if (tx.empty()) return okStatus();
  for (;;) {
    Attempt attempt = commitOnce(tx);
    // A kernel older than the flags we ask for refuses the table with EOPNOTSUPP: ask for less
    // (persist needs Linux 6.9, owner 5.12) and say so once; everything else is the caller's.
    const bool flagsRefused = attempt.failedOp && attempt.error == EOPNOTSUPP &&
                              std::holds_alternative<AddTable>(tx.ops[*attempt.failedOp]) &&
                              std::get<AddTable>(tx.ops[*attempt.failedOp]).owner.value_or(TableOwner::kNone) !=
                                  TableOwner::kNone &&
                              ownerLimit_ != TableOwner::kNone;
    if (!flagsRefused) return attempt.status;
    ownerLimit_ = ownerLimit_ == TableOwner::kPersistent ? TableOwner::kProcess : TableOwner::kNone;
  }
}

NetlinkNftWriter::Attempt NetlinkNftWriter::commitOnce(const Transaction &tx) {
  detail::BatchBuilder batch(seq_, ownerLimit_);
  for (size_t i = 0; i < tx.ops.size(); ++i) {
    if (auto st = batch.add(tx.ops[i], i); !st) {
      return {Error{detail::describeOp(tx.ops[i]) + ": " + st.error() + " (nothing sent)"}};
    }
  }
  batch.finish();
  seq_ = batch.nextSeq();
  if (auto st = fitSocketBuffers(batch.size(), batch.messageCount()); !st) return {st};
  if (mnl_socket_sendto(socket_.get(), batch.data(), batch.size()) < 0) {
    return {Error{"send nf_tables batch of " + std::to_string(batch.size()) +
                  " bytes: " + detail::errnoText(errno)}};
  }

  AckTally t = collectAcks(fd(), batch);
  if (!t.errors.empty()) {
    // The first failure in batch order is the cause; later ones often follow
    // from it.
    const auto first =
        std::min_element(t.errors.begin(), t.errors.end(), [&](const auto &a, const auto &b) {
          return a.seq - batch.beginSeq() < b.seq - batch.beginSeq();
        });
    const detail::MessageOrigin *origin = batch.origin(first->seq);
    std::string what = origin != nullptr
                           ? detail::describeFailure(tx, batch, *origin, first->badAttrOffset)
                           : "nf_tables batch";
    std::string s = what + ": " + detail::errnoText(first->error);
    if (!first->message.empty()) s += " (" + first->message + ")";
    if (t.errors.size() > 1) s += " (and " + std::to_string(t.errors.size() - 1) + " later errors)";
    Attempt failed{Error{std::move(s)}};
    if (origin != nullptr) failed.failedOp = origin->op;
    failed.error = first->error;
    return failed;
  }
  if (t.acked < batch.messageCount()) {
    // Without every ACK we cannot tell a commit from an abort; the caller must
    // re-read.
    return {Error{"nf_tables batch: " + std::to_string(t.acked) + " of " +
                  std::to_string(batch.messageCount()) + " messages acknowledged" +
                  (t.overrun ? " (receive queue overflow)" : "") +
                  (t.truncated ? " (truncated reply)" : "") + "; outcome unknown"}};
  }
  return {okStatus()};
}

}  // namespace ha::director::nft
