#include "vrrp/netlink_link_monitor.h"

#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

#include "common/log.h"

namespace ha::vrrp {
namespace {

// Dumps come in skbs of up to 32 KiB; a datagram larger than the buffer would be cut (MSG_TRUNC).
constexpr size_t kReceiveBufferSize = 65536;
constexpr int kReceiveSocketBuffer = 1 << 20;  // a burst of link changes should not overflow
constexpr int kMaxPerWakeup = 64;

constexpr size_t align4(size_t n) { return (n + 3) & ~size_t{3}; }  // NLMSG_ALIGN / RTA_ALIGN
constexpr size_t kNlHeaderSize = align4(sizeof(nlmsghdr));

std::string errnoText(int err) { return std::strerror(err); }

bool isUp(unsigned flags) { return (flags & IFF_UP) != 0 && (flags & IFF_RUNNING) != 0; }

bool isLinkLocal(const IpAddress& a) {  // fe80::/10
  return !a.isV4() && a.bytes()[0] == 0xfe && (a.bytes()[1] & 0xc0) == 0x80;
}

struct LinkDeleter {
  void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
struct CacheDeleter {
  void operator()(nl_cache* c) const { nl_cache_free(c); }
};

}  // namespace

struct NetlinkLinkMonitor::Watch {
  explicit Watch(boost::asio::io_context& io) : socket(io) {}
  boost::asio::generic::raw_protocol::socket socket;
  std::vector<uint8_t> buffer = std::vector<uint8_t>(kReceiveBufferSize);
  uint32_t sequence = 0;
  // Cleared by the destructor; a handler finding it false must not touch the monitor.
  bool open = true;
};

NetlinkLinkMonitor::NetlinkLinkMonitor(boost::asio::io_context& io) : io_(io) {}

NetlinkLinkMonitor::~NetlinkLinkMonitor() {
  if (!watch_) return;
  watch_->open = false;
  boost::system::error_code ignored;
  watch_->socket.close(ignored);
}

Result<std::unique_ptr<NetlinkLinkMonitor>> NetlinkLinkMonitor::open(boost::asio::io_context& io) {
  auto monitor = std::make_unique<NetlinkLinkMonitor>(io);
  if (auto st = monitor->connect(); !st) return Error{st.error()};
  if (auto st = monitor->watch(); !st) return Error{st.error()};
  return monitor;
}

Status NetlinkLinkMonitor::connect() {
  if (sock_) return okStatus();
  auto sock = connectRouteSocket();
  if (!sock) return Error{sock.error()};
  sock_ = std::move(sock.value());
  return okStatus();
}

Result<LinkState> NetlinkLinkMonitor::link(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ)
    return Error{"interface '" + name + "': invalid name"};
  if (auto st = connect(); !st) return Error{"interface " + name + ": " + st.error()};
  rtnl_link* raw = nullptr;
  if (int rc = rtnl_link_get_kernel(sock_.get(), 0, name.c_str(), &raw); rc < 0) {
    return Error{"interface " + name + ": " + nlError(rc)};
  }
  std::unique_ptr<rtnl_link, LinkDeleter> found(raw);
  int index = rtnl_link_get_ifindex(found.get());
  if (index <= 0) return Error{"interface " + name + ": kernel reply carries no index"};
  return LinkState{static_cast<uint32_t>(index), name, isUp(rtnl_link_get_flags(found.get()))};
}

Result<IpAddress> NetlinkLinkMonitor::primaryAddress(uint32_t ifindex, Family family,
                                                     std::span<const IpAddress> exclude) {
  char name[IF_NAMESIZE] = {};
  if (!if_indextoname(ifindex, name)) {
    return Error{"interface index " + std::to_string(ifindex) + ": No such device"};
  }
  const std::string what = std::string("interface ") + name;
  if (auto st = connect(); !st) return Error{what + ": " + st.error()};
  nl_cache* raw = nullptr;
  if (int rc = rtnl_addr_alloc_cache(sock_.get(), &raw); rc < 0) {
    return Error{what + ": address dump: " + nl_geterror(rc)};
  }
  std::unique_ptr<nl_cache, CacheDeleter> cache(raw);
  const int af = family == Family::kV4 ? AF_INET : AF_INET6;
  const size_t size = family == Family::kV4 ? 4 : 16;
  bool skippedVirtual = false;
  std::string unusable;  // a link-local that exists but cannot be a source yet
  // The cache keeps the dump's order, which is the kernel's: primaries first, in the order added.
  for (nl_object* o = nl_cache_get_first(cache.get()); o != nullptr; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);  // libnl's object model: the cache holds addrs
    if (rtnl_addr_get_ifindex(a) != static_cast<int>(ifindex) || rtnl_addr_get_family(a) != af) {
      continue;
    }
    nl_addr* local = rtnl_addr_get_local(a);
    if (local == nullptr || nl_addr_get_len(local) != size) continue;
    IpAddress address =
        IpAddress::fromBytes(family, static_cast<const uint8_t*>(nl_addr_get_binary_addr(local)));
    if (std::find(exclude.begin(), exclude.end(), address) != exclude.end()) {
      skippedVirtual = true;
      continue;
    }
    if (family == Family::kV4) return address;
    if (!isLinkLocal(address)) continue;  // RFC 5798 §5.1.2.1: link-local only
    const unsigned flags = rtnl_addr_get_flags(a);
    if (flags & IFA_F_DADFAILED) {
      unusable = address.str() + " failed duplicate address detection";
    } else if (flags & IFA_F_TENTATIVE) {
      unusable = address.str() + " is tentative (duplicate address detection in progress)";
    } else {
      return address;
    }
  }
  if (family == Family::kV4) {
    return Error{what + " has no IPv4 address" +
                 (skippedVirtual ? " other than its virtual addresses" : "")};
  }
  if (!unusable.empty()) return Error{what + ": IPv6 link-local address " + unusable};
  return Error{what + " has no IPv6 link-local address"};
}

void NetlinkLinkMonitor::subscribe(Listener listener) {
  listeners_.push_back(std::move(listener));
  if (!watch_) {
    // The dump that watch() requests introduces every link to every listener.
    if (auto st = watch(); !st) log::error("link monitor: " + st.error());
    return;
  }
  // Already watching: tell this listener what the others know, from the io_context thread.
  const size_t index = listeners_.size() - 1;
  boost::asio::post(io_, [this, index, watch = watch_] {
    if (!watch->open) return;
    for (const auto& [ifindex, state] : links_) listeners_[index](state);
  });
}

Status NetlinkLinkMonitor::watch() {
  if (watch_) return okStatus();
  auto w = std::make_shared<Watch>(io_);
  // CLOEXEC: notify scripts are forked from this process and must not inherit the socket.
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return Error{"rtnetlink: socket: " + errnoText(errno)};
  boost::system::error_code ec;
  w->socket.assign(boost::asio::generic::raw_protocol(AF_NETLINK, NETLINK_ROUTE), fd, ec);
  if (ec) {
    ::close(fd);
    return Error{"rtnetlink: " + ec.message()};
  }
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) < 0) {
    return Error{"rtnetlink: bind: " + errnoText(errno)};
  }
  const int group = RTNLGRP_LINK;
  if (::setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0) {
    return Error{"rtnetlink: join RTNLGRP_LINK: " + errnoText(errno)};
  }
  // Best effort: capped by net.core.rmem_max; an overflow still recovers through a new dump.
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kReceiveSocketBuffer, sizeof kReceiveSocketBuffer);
  watch_ = std::move(w);
  if (auto st = requestDump(); !st) {
    watch_.reset();
    return st;
  }
  arm();
  return okStatus();
}

Status NetlinkLinkMonitor::requestDump() {
  struct {
    nlmsghdr header;
    ifinfomsg body;
  } request{};
  request.header.nlmsg_len = sizeof request;
  request.header.nlmsg_type = RTM_GETLINK;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.header.nlmsg_seq = ++watch_->sequence;
  request.body.ifi_family = AF_UNSPEC;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(watch_->socket.native_handle(), &request, sizeof request, 0,
               reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel) < 0) {
    return Error{"rtnetlink: link dump request: " + errnoText(errno)};
  }
  return okStatus();
}

void NetlinkLinkMonitor::arm() {
  watch_->socket.async_wait(boost::asio::socket_base::wait_read,
                            [this, watch = watch_](const boost::system::error_code& ec) {
                              if (!watch->open) return;  // the monitor is gone
                              if (ec) log::warning("link monitor: " + ec.message());
                              onReadable();
                            });
}

void NetlinkLinkMonitor::onReadable() {
  // Our own reference: a listener may destroy the monitor, and `watch->open` then says so.
  const std::shared_ptr<Watch> watch = watch_;
  for (int i = 0; i < kMaxPerWakeup; ++i) {
    ssize_t n = ::recv(watch->socket.native_handle(), watch->buffer.data(), watch->buffer.size(),
                       MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      // Drained: only now wait (as in RawSocketTransport::onReadable).
      if (errno == EAGAIN || errno == EWOULDBLOCK) return arm();
      if (errno == ENOBUFS) {
        // The kernel dropped notifications: a fresh dump tells us where every link stands.
        log::warning("link monitor: missed link changes (receive buffer overflow); resyncing");
        if (auto st = requestDump(); !st) log::error("link monitor: " + st.error());
        continue;
      }
      log::warning("link monitor: receive: " + errnoText(errno));
      continue;
    }
    onMessages(std::span<const uint8_t>(watch->buffer.data(), static_cast<size_t>(n)));
    if (!watch->open) return;
  }
  boost::asio::post(io_, [this, watch] {
    if (watch->open) onReadable();
  });
}

void NetlinkLinkMonitor::onMessages(std::span<const uint8_t> data) {
  // Untrusted in the sense of docs/style.md §7: lengths are checked, never assumed.
  size_t offset = 0;
  while (data.size() - offset >= sizeof(nlmsghdr)) {
    nlmsghdr header;
    std::memcpy(&header, data.data() + offset, sizeof header);
    if (header.nlmsg_len < kNlHeaderSize || header.nlmsg_len > data.size() - offset) return;
    if (header.nlmsg_type == RTM_NEWLINK || header.nlmsg_type == RTM_DELLINK) {
      onLink(header.nlmsg_type == RTM_DELLINK,
             data.subspan(offset + kNlHeaderSize, header.nlmsg_len - kNlHeaderSize));
    }
    offset += std::min(align4(header.nlmsg_len), data.size() - offset);
  }
}

void NetlinkLinkMonitor::onLink(bool deleted, std::span<const uint8_t> body) {
  if (body.size() < sizeof(ifinfomsg)) return;
  ifinfomsg info;
  std::memcpy(&info, body.data(), sizeof info);
  // AF_BRIDGE messages describe bridge ports (a DELLINK there means "left the bridge", not gone).
  if (info.ifi_family != AF_UNSPEC || info.ifi_index <= 0) return;
  LinkState state;
  state.ifindex = static_cast<uint32_t>(info.ifi_index);
  state.up = !deleted && isUp(info.ifi_flags);
  for (size_t offset = align4(sizeof info); body.size() - offset >= sizeof(rtattr);) {
    rtattr attr;
    std::memcpy(&attr, body.data() + offset, sizeof attr);
    if (attr.rta_len < sizeof attr || attr.rta_len > body.size() - offset) break;
    if ((attr.rta_type & NLA_TYPE_MASK) == IFLA_IFNAME) {
      const auto* text = reinterpret_cast<const char*>(body.data() + offset + sizeof attr);
      state.name.assign(text, strnlen(text, attr.rta_len - sizeof attr));
    }
    offset += std::min(align4(attr.rta_len), body.size() - offset);
  }

  auto known = links_.find(state.ifindex);
  if (state.name.empty() && known != links_.end()) state.name = known->second.name;
  const bool changed = known == links_.end() || known->second.up != state.up;
  if (deleted) {
    links_.erase(state.ifindex);
  } else {
    links_[state.ifindex] = state;
  }
  if (!changed && !deleted) return;
  const std::shared_ptr<Watch> watch = watch_;
  // By index: a listener may subscribe another one.
  for (size_t i = 0; i < listeners_.size() && watch->open; ++i) listeners_[i](state);
}

}  // namespace ha::vrrp
