#include "common/netlink/netlink_routing_owner.h"

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>
#include <sys/socket.h>

#include <algorithm>
#include <string>

namespace ha {
namespace {

struct RouteDeleter {
  void operator()(rtnl_route* r) const { rtnl_route_put(r); }
};
struct RuleDeleter {
  void operator()(rtnl_rule* r) const { rtnl_rule_put(r); }
};
struct NlAddrDeleter {
  void operator()(nl_addr* a) const { nl_addr_put(a); }
};
struct LinkDeleter {
  void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
using NlAddr = std::unique_ptr<nl_addr, NlAddrDeleter>;

int af(Family family) { return family == Family::kV4 ? AF_INET : AF_INET6; }

NlAddr build(const IpAddress& a, int length) {
  NlAddr out(nl_addr_build(af(a.family()), a.bytes(), a.size()));
  if (out) nl_addr_set_prefixlen(out.get(), length);
  return out;
}
NlAddr build(const IpPrefix& p) { return build(p.address, p.length); }
NlAddr build(const IpAddress& a) { return build(a, a.isV4() ? 32 : 128); }

// The device's index; 0 with rc set when the kernel does not know it.
int ifindexOf(nl_sock* sock, const std::string& dev, int& rc) {
  rtnl_link* raw = nullptr;
  rc = rtnl_link_get_kernel(sock, 0, dev.c_str(), &raw);
  if (rc < 0) return 0;
  std::unique_ptr<rtnl_link, LinkDeleter> link(raw);
  return rtnl_link_get_ifindex(link.get());
}

int sendRoute(nl_sock* sock, const RouteSpec& r, bool add) {
  std::unique_ptr<rtnl_route, RouteDeleter> route(rtnl_route_alloc());
  if (!route) return -NLE_NOMEM;
  rtnl_route_set_family(route.get(), static_cast<uint8_t>(af(r.family())));
  NlAddr dst = build(r.dst);
  if (!dst) return -NLE_NOMEM;
  if (int rc = rtnl_route_set_dst(route.get(), dst.get()); rc < 0) return rc;
  if (r.from) {
    NlAddr from = build(*r.from);
    if (int rc = from ? rtnl_route_set_src(route.get(), from.get()) : -NLE_NOMEM; rc < 0) return rc;
  }
  if (r.src) {
    NlAddr src = build(*r.src);
    if (int rc = src ? rtnl_route_set_pref_src(route.get(), src.get()) : -NLE_NOMEM; rc < 0)
      return rc;
  }
  rtnl_route_set_table(route.get(), r.table);
  rtnl_route_set_type(route.get(), static_cast<uint8_t>(r.type));
  rtnl_route_set_protocol(route.get(), r.protocol);
  rtnl_route_set_scope(route.get(), r.scope);
  rtnl_route_set_tos(route.get(), r.tos);
  if (r.metric) rtnl_route_set_priority(route.get(), *r.metric);
  // A single nexthop travels as RTA_GATEWAY/RTA_OIF with its flags in rtm_flags.
  if (r.onlink) rtnl_route_set_flags(route.get(), RTNH_F_ONLINK);
  if (r.via || !r.dev.empty()) {
    rtnl_nexthop* nh = rtnl_route_nh_alloc();
    if (nh == nullptr) return -NLE_NOMEM;
    rtnl_route_add_nexthop(route.get(), nh);  // the route owns it from here
    if (!r.dev.empty()) {
      int rc = 0;
      const int index = ifindexOf(sock, r.dev, rc);
      if (index <= 0) return rc < 0 ? rc : -NLE_OBJ_NOTFOUND;
      rtnl_route_nh_set_ifindex(nh, index);
    }
    if (r.via) {
      NlAddr via = build(*r.via);
      if (!via) return -NLE_NOMEM;
      rtnl_route_nh_set_gateway(nh, via.get());
    }
  }
  if (!add) return rtnl_route_delete(sock, route.get(), 0);
  int flags = r.mode == RouteAddMode::kAdd      ? NLM_F_EXCL
              : r.mode == RouteAddMode::kAppend ? NLM_F_APPEND
                                                : 0;
  return rtnl_route_add(sock, route.get(), flags);
}

int sendRule(nl_sock* sock, const RuleSpec& r, bool add) {
  std::unique_ptr<rtnl_rule, RuleDeleter> rule(rtnl_rule_alloc());
  if (!rule) return -NLE_NOMEM;
  rtnl_rule_set_family(rule.get(), af(r.family));
  rtnl_rule_set_prio(rule.get(), r.priority);
  rtnl_rule_set_action(rule.get(), static_cast<uint8_t>(r.action));
  if (r.action == RuleAction::kTable) rtnl_rule_set_table(rule.get(), r.table);
  for (const auto* p : {&r.from, &r.to}) {
    if (!*p) continue;
    NlAddr a = build(**p);
    if (!a) return -NLE_NOMEM;
    int rc = p == &r.from ? rtnl_rule_set_src(rule.get(), a.get())
                          : rtnl_rule_set_dst(rule.get(), a.get());
    if (rc < 0) return rc;
  }
  if (r.fwmark) rtnl_rule_set_mark(rule.get(), *r.fwmark);
  if (r.fwmask) rtnl_rule_set_mask(rule.get(), *r.fwmask);
  if (!r.iif.empty()) {
    if (int rc = rtnl_rule_set_iif(rule.get(), r.iif.c_str()); rc < 0) return rc;
  }
  if (!r.oif.empty()) {
    if (int rc = rtnl_rule_set_oif(rule.get(), r.oif.c_str()); rc < 0) return rc;
  }
  if (r.tos != 0) rtnl_rule_set_dsfield(rule.get(), r.tos);
  if (int rc = rtnl_rule_set_protocol(rule.get(), r.protocol); rc < 0) return rc;
  if (!add) return rtnl_rule_delete(sock, rule.get(), 0);
  // NLM_F_EXCL, as keepalived (vrrp_iprule.c): an identical rule is EEXIST, not a second copy.
  return rtnl_rule_add(sock, rule.get(), NLM_F_EXCL);
}

bool gone(int rc) { return rc == -NLE_OBJ_NOTFOUND || rc == -NLE_NOADDR; }

std::string failure(std::string_view verb, const RoutingEntry& entry, int rc) {
  // libnl folds the errnos it has no code for (ENETUNREACH, EHOSTUNREACH, ENETDOWN) into this one.
  const std::string why =
      rc == -NLE_FAILURE
          ? "refused by the kernel (is the gateway reachable through a device that is up?)"
          : nlError(rc);
  return std::string(verb) + " " + describe(entry) + ": " + why;
}

}  // namespace

Result<std::unique_ptr<NetlinkRoutingOwner>> NetlinkRoutingOwner::open() {
  auto sock = connectRouteSocket();
  if (!sock) return Error{sock.error()};
  return std::unique_ptr<NetlinkRoutingOwner>(new NetlinkRoutingOwner(std::move(sock.value())));
}

int NetlinkRoutingOwner::send(const RoutingEntry& entry, bool add) {
  if (const auto* route = std::get_if<RouteSpec>(&entry))
    return sendRoute(sock_.get(), *route, add);
  return sendRule(sock_.get(), std::get<RuleSpec>(entry), add);
}

Result<RoutingOwner::Added> NetlinkRoutingOwner::add(const RoutingEntry& entry) {
  if (owns(entry)) return Added::kInstalled;
  const int rc = send(entry, true);
  if (rc == -NLE_EXIST) return Added::kFoundPresent;
  if (rc < 0) return Error{failure("add", entry, rc)};
  owned_.push_back(entry);
  return Added::kInstalled;
}

Status NetlinkRoutingOwner::claim(const RoutingEntry& entry) {
  if (owns(entry)) return okStatus();
  const int rc = send(entry, true);
  if (rc < 0 && rc != -NLE_EXIST) return Error{failure("add", entry, rc)};
  owned_.push_back(entry);
  return okStatus();
}

Status NetlinkRoutingOwner::remove(const RoutingEntry& entry) {
  if (!owns(entry)) return okStatus();  // not ours: leave it alone
  return purge(entry);                  // forgets it once gone
}

Status NetlinkRoutingOwner::purge(const RoutingEntry& entry) {
  const int rc = send(entry, false);
  // Gone already (a device that went took its routes), or a device that is gone: nothing left.
  if (rc < 0 && !gone(rc) && nlError(rc) != kNoSuchDevice) return Error{failure("del", entry, rc)};
  std::erase(owned_, entry);
  return okStatus();
}

}  // namespace ha
