#include "common/netlink/netlink_address_owner.h"

#include <linux/if_addr.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <sys/socket.h>

#include <algorithm>
#include <utility>

namespace ha {
namespace {

struct AddrDeleter {
  void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
};
struct NlAddrDeleter {
  void operator()(nl_addr* a) const { nl_addr_put(a); }
};
struct LinkDeleter {
  void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
struct CacheDeleter {
  void operator()(nl_cache* c) const { nl_cache_free(c); }
};

std::string describe(std::string_view verb, const OwnedAddress& a) {
  return std::string(verb) + " " + a.prefix.str() + " dev " + a.dev;
}

Status checkLabel(const OwnedAddress& a) {
  if (a.label.empty()) return okStatus();
  if (!a.prefix.address.isV4()) {
    return Error{describe("add", a) + ": label " + a.label + " given, but only IPv4 has labels"};
  }
  if (!a.label.starts_with(a.dev)) {
    return Error{describe("add", a) + ": label " + a.label + " must start with the device name"};
  }
  if (a.label.size() >= IFNAMSIZ) {
    return Error{describe("add", a) + ": label " + a.label + " is longer than " +
                 std::to_string(IFNAMSIZ - 1) + " characters"};
  }
  return okStatus();
}

// The request both add and remove send: address, prefix length and device.
Result<std::unique_ptr<rtnl_addr, AddrDeleter>> buildRequest(const OwnedAddress& a, int index) {
  std::unique_ptr<rtnl_addr, AddrDeleter> req(rtnl_addr_alloc());
  const bool v4 = a.prefix.address.isV4();
  std::unique_ptr<nl_addr, NlAddrDeleter> local(
      nl_addr_build(v4 ? AF_INET : AF_INET6, a.prefix.address.bytes(), a.prefix.address.size()));
  if (!req || !local) return Error{"out of memory"};
  nl_addr_set_prefixlen(local.get(), a.prefix.length);
  rtnl_addr_set_ifindex(req.get(), index);
  if (int rc = rtnl_addr_set_local(req.get(), local.get()); rc < 0) return Error{nl_geterror(rc)};
  rtnl_addr_set_prefixlen(req.get(), a.prefix.length);
  return req;
}

}  // namespace

NetlinkAddressOwner::NetlinkAddressOwner() = default;

NetlinkAddressOwner::~NetlinkAddressOwner() = default;

Result<std::unique_ptr<NetlinkAddressOwner>> NetlinkAddressOwner::open() {
  auto owner = std::make_unique<NetlinkAddressOwner>();
  if (auto st = owner->connect(); !st) return Error{st.error()};
  return owner;
}

Status NetlinkAddressOwner::connect() {
  if (sock_) return okStatus();
  auto sock = connectRouteSocket();
  if (!sock) return Error{sock.error()};
  sock_ = std::move(sock.value());
  return okStatus();
}

Result<int> NetlinkAddressOwner::lookupIndex(const std::string& dev) {
  if (dev.empty() || dev.size() >= IFNAMSIZ) return Error{"invalid device name"};
  if (auto st = connect(); !st) return Error{st.error()};
  rtnl_link* raw = nullptr;
  if (int rc = rtnl_link_get_kernel(sock_.get(), 0, dev.c_str(), &raw); rc < 0) {
    return Error{nlError(rc)};
  }
  std::unique_ptr<rtnl_link, LinkDeleter> link(raw);
  int index = rtnl_link_get_ifindex(link.get());
  if (index <= 0) return Error{"kernel reply carries no interface index"};
  return index;
}

Result<uint32_t> NetlinkAddressOwner::ifindex(const std::string& dev) {
  auto index = lookupIndex(dev);
  if (!index) return Error{"device " + dev + ": " + index.error()};
  return static_cast<uint32_t>(*index);
}

std::vector<OwnedAddress>::iterator NetlinkAddressOwner::findOwned(const OwnedAddress& address) {
  // The kernel knows an address by prefix and device; the label is decoration.
  return std::find_if(owned_.begin(), owned_.end(), [&](const OwnedAddress& o) {
    return o.prefix == address.prefix && o.dev == address.dev;
  });
}

bool NetlinkAddressOwner::owns(const OwnedAddress& address) const {
  return std::any_of(owned_.begin(), owned_.end(), [&](const OwnedAddress& o) {
    return o.prefix == address.prefix && o.dev == address.dev;
  });
}

Result<std::vector<OwnedAddress>> NetlinkAddressOwner::present() {
  if (auto st = connect(); !st) return Error{st.error()};
  nl_cache* rawLinks = nullptr;
  if (int rc = rtnl_link_alloc_cache(sock_.get(), AF_UNSPEC, &rawLinks); rc < 0) {
    return Error{"list interfaces: " + nlError(rc)};
  }
  std::unique_ptr<nl_cache, CacheDeleter> links(rawLinks);
  nl_cache* rawAddrs = nullptr;
  if (int rc = rtnl_addr_alloc_cache(sock_.get(), &rawAddrs); rc < 0) {
    return Error{"list addresses: " + nlError(rc)};
  }
  std::unique_ptr<nl_cache, CacheDeleter> addrs(rawAddrs);
  std::vector<OwnedAddress> out;
  for (nl_object* obj = nl_cache_get_first(addrs.get()); obj != nullptr; obj = nl_cache_get_next(obj)) {
    auto* addr = reinterpret_cast<rtnl_addr*>(obj);  // libnl's cache of rtnl_addr objects
    nl_addr* local = rtnl_addr_get_local(addr);
    if (local == nullptr) continue;
    const int family = nl_addr_get_family(local);
    if ((family != AF_INET && family != AF_INET6) || nl_addr_get_len(local) != (family == AF_INET ? 4U : 16U)) {
      continue;
    }
    OwnedAddress a;
    a.prefix.address = IpAddress::fromBytes(family == AF_INET ? Family::kV4 : Family::kV6,
                                            static_cast<const uint8_t*>(nl_addr_get_binary_addr(local)));
    a.prefix.length = static_cast<uint8_t>(rtnl_addr_get_prefixlen(addr));
    char name[IFNAMSIZ] = {};
    if (rtnl_link_i2name(links.get(), rtnl_addr_get_ifindex(addr), name, sizeof name) == nullptr) continue;
    a.dev = name;
    // The kernel labels every IPv4 address, by default with the device's name: that is no label.
    if (const char* label = rtnl_addr_get_label(addr); label != nullptr && family == AF_INET && a.dev != label) {
      a.label = label;
    }
    out.push_back(std::move(a));
  }
  return out;
}

Status NetlinkAddressOwner::add(const OwnedAddress& address) { return add(address, false); }

Status NetlinkAddressOwner::claim(const OwnedAddress& address) { return add(address, true); }

Status NetlinkAddressOwner::add(const OwnedAddress& address, bool claimExisting) {
  if (auto ok = checkLabel(address); !ok) return ok;
  if (findOwned(address) != owned_.end()) return okStatus();
  auto index = lookupIndex(address.dev);
  if (!index) return Error{describe("add", address) + ": " + index.error()};
  auto req = buildRequest(address, *index);
  if (!req) return Error{describe("add", address) + ": " + req.error()};
  if (!address.prefix.address.isV4()) rtnl_addr_set_flags(req->get(), IFA_F_NODAD);
  if (!address.label.empty()) {
    if (int rc = rtnl_addr_set_label(req->get(), address.label.c_str()); rc < 0) {
      return Error{describe("add", address) + ": " + nl_geterror(rc)};
    }
  }
  // NLM_F_EXCL turns "someone else put it there" into EEXIST instead of a silent replace.
  int rc = rtnl_addr_add(sock_.get(), req->get(), NLM_F_EXCL);
  if (rc == -NLE_EXIST && !claimExisting) return okStatus();  // fine, but not ours to remove
  if (rc < 0 && rc != -NLE_EXIST) return Error{describe("add", address) + ": " + nlError(rc)};
  owned_.push_back(address);
  return okStatus();
}

Status NetlinkAddressOwner::remove(const OwnedAddress& address) {
  auto it = findOwned(address);
  if (it == owned_.end()) return okStatus();  // not ours: leave it alone
  auto index = lookupIndex(address.dev);
  if (!index) {
    if (index.error() != kNoSuchDevice)
      return Error{describe("del", address) + ": " + index.error()};
    owned_.erase(it);  // the device went away and took the address with it
    return okStatus();
  }
  auto req = buildRequest(*it, *index);
  if (!req) return Error{describe("del", address) + ": " + req.error()};
  int rc = rtnl_addr_delete(sock_.get(), req->get(), 0);
  if (rc < 0 && rc != -NLE_NOADDR) return Error{describe("del", address) + ": " + nlError(rc)};
  owned_.erase(it);  // removed, or gone already (EADDRNOTAVAIL)
  return okStatus();
}

Status NetlinkAddressOwner::purge(const OwnedAddress& address) {
  if (auto it = findOwned(address); it != owned_.end()) return remove(address);
  auto index = lookupIndex(address.dev);
  if (!index) {
    if (index.error() == kNoSuchDevice) return okStatus();
    return Error{describe("del", address) + ": " + index.error()};
  }
  auto req = buildRequest(address, *index);
  if (!req) return Error{describe("del", address) + ": " + req.error()};
  int rc = rtnl_addr_delete(sock_.get(), req->get(), 0);
  if (rc < 0 && rc != -NLE_NOADDR) return Error{describe("del", address) + ": " + nlError(rc)};
  return okStatus();
}

Status NetlinkAddressOwner::removeAll() {
  std::string failures;
  // Newest first, so a label added after its primary address goes before it.
  for (auto copy = owned_; !copy.empty(); copy.pop_back()) {
    if (auto st = remove(copy.back()); !st) failures += (failures.empty() ? "" : "; ") + st.error();
  }
  if (!failures.empty()) return Error{failures};
  return okStatus();
}

}  // namespace ha
