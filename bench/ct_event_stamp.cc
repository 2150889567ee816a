// bench/sync.sh part B: timestamps conntrack events of one service as they arrive, fast enough
// for 10k new connections/s (several events each). Run inside a lab namespace.
//
//   ct_event_stamp VIP PORT SECONDS OUT
//
// Listens to NEW, UPDATE and DESTROY events (64 MB receive buffer), keeps those whose original
// destination is VIP:PORT (TCP, IPv4) and writes to OUT, one line per event:
//   <CLOCK_REALTIME ns at receipt> <N|U|D> <seen_reply 0|1> <orig src ip> <orig src port> <start ns>
// <start ns> is the entry's creation time as the kernel stamped it (CTA_TIMESTAMP_START, with
// net.netfilter.nf_conntrack_timestamp=1 in the namespace; only DESTROY events carry it, 0
// otherwise): for an entry a sync daemon inserted, the moment it went into this kernel.
// Stops after SECONDS or on SIGTERM/SIGINT; prints "events N kept N enobufs N" on stderr.
// ENOBUFS (the kernel dropped events) is counted and reading goes on.
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

volatile sig_atomic_t stopFlag = 0;
void onSignal(int) { stopFlag = 1; }

struct Ctx {
  uint32_t vip = 0;  // network order
  uint16_t port = 0;  // network order
  uint64_t now = 0;
  uint64_t events = 0;
  uint64_t kept = 0;
  FILE* out = nullptr;
  nf_conntrack* ct = nullptr;
};

uint64_t realtimeNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

int onMessage(const nlmsghdr* nlh, void* data) {
  auto* c = static_cast<Ctx*>(data);
  ++c->events;
  const int type = nlh->nlmsg_type & 0xff;
  if (type != IPCTNL_MSG_CT_NEW && type != IPCTNL_MSG_CT_DELETE) return MNL_CB_OK;
  nfct_destroy(c->ct);  // a clean object per event: no attribute left over from the last one
  c->ct = nfct_new();
  if (c->ct == nullptr || nfct_nlmsg_parse(nlh, c->ct) < 0) return MNL_CB_OK;
  if (nfct_get_attr_u8(c->ct, ATTR_L3PROTO) != AF_INET || nfct_get_attr_u8(c->ct, ATTR_L4PROTO) != IPPROTO_TCP)
    return MNL_CB_OK;
  if (nfct_get_attr_u32(c->ct, ATTR_ORIG_IPV4_DST) != c->vip || nfct_get_attr_u16(c->ct, ATTR_ORIG_PORT_DST) != c->port)
    return MNL_CB_OK;
  const bool isNew = (nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL)) != 0;
  const uint32_t status = nfct_attr_is_set(c->ct, ATTR_STATUS) ? nfct_get_attr_u32(c->ct, ATTR_STATUS) : 0;
  char src[INET_ADDRSTRLEN];
  const uint32_t s = nfct_get_attr_u32(c->ct, ATTR_ORIG_IPV4_SRC);
  inet_ntop(AF_INET, &s, src, sizeof src);
  const unsigned long long start =
      nfct_attr_is_set(c->ct, ATTR_TIMESTAMP_START) ? nfct_get_attr_u64(c->ct, ATTR_TIMESTAMP_START) : 0;
  std::fprintf(c->out, "%llu %c %d %s %u %llu\n", static_cast<unsigned long long>(c->now), type == IPCTNL_MSG_CT_DELETE ? 'D' : isNew ? 'N' : 'U',
               (status & IPS_SEEN_REPLY) ? 1 : 0, src, ntohs(nfct_get_attr_u16(c->ct, ATTR_ORIG_PORT_SRC)), start);
  ++c->kept;
  return MNL_CB_OK;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s VIP PORT SECONDS OUT\n", argv[0]);
    return 2;
  }
  Ctx c;
  if (inet_pton(AF_INET, argv[1], &c.vip) != 1) return 2;
  c.port = htons(static_cast<uint16_t>(std::atoi(argv[2])));
  const double seconds = std::atof(argv[3]);
  c.out = std::fopen(argv[4], "w");
  if (c.out == nullptr) {
    std::perror(argv[4]);
    return 2;
  }
  static char outbuf[1 << 20];
  setvbuf(c.out, outbuf, _IOFBF, sizeof outbuf);
  c.ct = nfct_new();
  std::signal(SIGTERM, onSignal);
  std::signal(SIGINT, onSignal);
  mnl_socket* nl = mnl_socket_open(NETLINK_NETFILTER);
  if (nl == nullptr || mnl_socket_bind(nl, NF_NETLINK_CONNTRACK_NEW | NF_NETLINK_CONNTRACK_UPDATE | NF_NETLINK_CONNTRACK_DESTROY,
                                  MNL_SOCKET_AUTOPID) < 0) {
    std::perror("mnl_socket");
    return 2;
  }
  int buf = 64 << 20;
  if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf) < 0)
    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  std::vector<char> rx(1 << 20);
  uint64_t enobufs = 0;
  const uint64_t end = realtimeNs() + static_cast<uint64_t>(seconds * 1e9);
  std::fprintf(stderr, "listening\n");
  while (!stopFlag && realtimeNs() < end) {
    pollfd p{mnl_socket_get_fd(nl), POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    for (int burst = 0; burst < 64; ++burst) {
      const ssize_t len = recv(mnl_socket_get_fd(nl), rx.data(), rx.size(), MSG_DONTWAIT);
      if (len < 0) {
        if (errno == ENOBUFS) {
          ++enobufs;
          continue;
        }
        break;
      }
      c.now = realtimeNs();
      mnl_cb_run(rx.data(), static_cast<size_t>(len), 0, 0, onMessage, &c);
    }
  }
  std::fflush(c.out);
  std::fclose(c.out);
  std::fprintf(stderr, "events %llu kept %llu enobufs %llu\n", static_cast<unsigned long long>(c.events),
               static_cast<unsigned long long>(c.kept), static_cast<unsigned long long>(enobufs));
  mnl_socket_close(nl);
  return 0;
}
