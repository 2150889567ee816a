#include "director/real/tun.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <net/if.h>
#include <netlink/route/link.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "bpf/real_decap.skel.h"
#include "common/netlink/netlink_address_owner.h"
#include "common/netlink/route_socket.h"
#include "director/real/bpf_objects.h"
#include "director/real/host.h"
#include "director/real/tun_state.h"

namespace ha::real {

namespace {

struct SkeletonDeleter {
  void operator()(real_decap* skel) const { real_decap__destroy(skel); }
};

bool contains(const std::vector<IpAddress>& list, const IpAddress& a) {
  return std::find(list.begin(), list.end(), a) != list.end();
}

bool anyV4(const std::vector<IpAddress>& list) {
  return std::any_of(list.begin(), list.end(), [](const IpAddress& a) { return a.isV4(); });
}
bool anyV6(const std::vector<IpAddress>& list) {
  return std::any_of(list.begin(), list.end(), [](const IpAddress& a) { return !a.isV4(); });
}

OwnedAddress onLo(const IpAddress& vip) {
  return OwnedAddress{IpPrefix{vip, static_cast<uint8_t>(vip.isV4() ? 32 : 128)}, "lo", ""};
}

std::string statePath(uint64_t netns) { return netRunDir(netns) + "/tun.state"; }

// The sysctls a VIP on lo needs (the LVS-DR/TUN recipe): never answer ARP for it on `device`
// (arp_ignore=1) nor use it as the ARP source (arp_announce=2). rp_filter: strict (1) drops a
// decapsulated packet whose client is routed through another device (asymmetric paths, or
// tunl0 itself), so strict becomes loose (2); the effective value is the larger of `all` and the
// device's. tunl0's own rp_filter goes to 0: the client is never routed through tunl0.
std::vector<SysctlChange> wantedSysctls(const TunUp& request) {
  std::vector<SysctlChange> out;
  const std::string all = "net/ipv4/conf/all/";
  const std::string dev = "net/ipv4/conf/" + request.device + "/";
  if (anyV4(request.vips)) {
    for (const auto& base : {all, dev}) {
      out.push_back({base + "arp_ignore", "", "1"});
      out.push_back({base + "arp_announce", "", "2"});
    }
  }
  for (const auto& base : {all, dev}) out.push_back({base + "rp_filter", "1", "2"});
  if (request.decap == DecapMode::kIpip && anyV4(request.vips)) {
    out.push_back({"net/ipv4/conf/tunl0/rp_filter", "", "0"});
  }
  return out;
}

// Sets one sysctl if it is not already `after` (`before` non-empty: only from that value).
// Records the change unless an earlier up recorded this path (its `before` is the original).
Status applySysctl(const SysctlChange& want, TunState& state, std::vector<SysctlChange>& done) {
  auto current = readSysctl(want.path);
  if (!current) return Error{current.error()};
  if (*current == want.after) return okStatus();
  if (!want.before.empty() && *current != want.before) return okStatus();
  if (auto st = writeSysctl(want.path, want.after); !st) return st;
  SysctlChange change{want.path, *current, want.after};
  done.push_back(change);
  bool known = std::any_of(state.sysctls.begin(), state.sysctls.end(),
                           [&](const SysctlChange& s) { return s.path == want.path; });
  if (!known) state.sysctls.push_back(change);
  return okStatus();
}

Status restoreSysctl(const SysctlChange& change) {
  auto current = readSysctl(change.path);
  if (!current) return okStatus();                  // the device went away
  if (*current != change.after) return okStatus();  // someone changed it since: theirs now
  return writeSysctl(change.path, change.before);
}

Status setLinkUp(const std::string& name, bool up) {
  auto sock = connectRouteSocket();
  if (!sock) return Error{sock.error()};
  rtnl_link* raw = nullptr;
  if (int rc = rtnl_link_get_kernel(sock->get(), 0, name.c_str(), &raw); rc < 0) {
    return Error{"link " + name + ": " + nlError(rc)};
  }
  std::unique_ptr<rtnl_link, void (*)(rtnl_link*)> link(raw, rtnl_link_put);
  std::unique_ptr<rtnl_link, void (*)(rtnl_link*)> change(rtnl_link_alloc(), rtnl_link_put);
  if (up) {
    rtnl_link_set_flags(change.get(), IFF_UP);
  } else {
    rtnl_link_unset_flags(change.get(), IFF_UP);
  }
  if (int rc = rtnl_link_change(sock->get(), link.get(), change.get(), 0); rc < 0) {
    return Error{"link " + name + (up ? " up: " : " down: ") + nlError(rc)};
  }
  return okStatus();
}

Result<bool> linkIsUp(const std::string& name) {
  auto sock = connectRouteSocket();
  if (!sock) return Error{sock.error()};
  rtnl_link* raw = nullptr;
  if (int rc = rtnl_link_get_kernel(sock->get(), 0, name.c_str(), &raw); rc < 0) {
    return Error{"link " + name + ": " + nlError(rc)};
  }
  std::unique_ptr<rtnl_link, void (*)(rtnl_link*)> link(raw, rtnl_link_put);
  return (rtnl_link_get_flags(link.get()) & IFF_UP) != 0;
}

// The pinned decapsulator of this namespace, attached and running on `ifindex`; or nothing
// (no pin, or a pin whose link no longer runs there: removed, so a fresh one can be made).
Result<bool> decapRunning(const std::string& pinDir, uint32_t ifindex) {
  auto link = openPinned(pinDir + "/decap_link");
  if (!link) return false;
  auto program = linkProgramId(link->get());
  if (!program) return Error{program.error()};
  auto runs = tcxIngressRuns(ifindex, *program);
  if (!runs) return Error{runs.error()};
  return *runs;
}

// Loads real_decap, fills its maps, attaches it at tcx ingress and pins link and maps. Nothing
// is left behind on failure: the pins are made last, and the link dies with its fd otherwise.
Status attachDecap(const std::string& pinDir, uint32_t ifindex, const TunUp& request) {
  std::unique_ptr<real_decap, SkeletonDeleter> skel(real_decap__open_and_load());
  if (!skel) return Error{std::string("load the decapsulator: ") + std::strerror(errno)};
  if (auto st = syncAddressMap(bpf_map__fd(skel->maps.real_vips), request.vips); !st) return st;
  if (auto st = syncAddressMap(bpf_map__fd(skel->maps.real_directors), request.directors); !st)
    return st;
  uint32_t zero = 0;
  uint32_t flags = request.directors.empty() ? 0 : REAL_DECAP_REQUIRE_DIRECTOR;
  if (bpf_map_update_elem(bpf_map__fd(skel->maps.real_decap_config), &zero, &flags, BPF_ANY) != 0) {
    return Error{std::string("decap config: ") + std::strerror(errno)};
  }
  int linkFd =
      bpf_link_create(bpf_program__fd(skel->progs.real_decap_ingress), static_cast<int>(ifindex),
                      static_cast<bpf_attach_type>(kTcxIngress), nullptr);
  if (linkFd < 0) {
    return Error{"attach at tcx ingress of " + request.device + ": " + std::strerror(errno)};
  }
  Fd link(linkFd);
  if (auto st = makeDirs(pinDir); !st) return st;
  const std::pair<const char*, int> pins[] = {
      {"real_vips", bpf_map__fd(skel->maps.real_vips)},
      {"real_directors", bpf_map__fd(skel->maps.real_directors)},
      {"real_decap_config", bpf_map__fd(skel->maps.real_decap_config)},
      {"real_decap_counters", bpf_map__fd(skel->maps.real_decap_counters)},
      {"decap_link", link.get()},
  };
  for (const auto& [name, fd] : pins) {
    if (auto st = pinObject(fd, pinDir + "/" + name); !st) {
      (void)removePinDir(pinDir);
      return st;
    }
  }
  return okStatus();
}

// An up over a running decapsulator: the pinned maps get the new lists.
Status updateDecap(const std::string& pinDir, const TunUp& request) {
  auto vips = openPinned(pinDir + "/real_vips");
  auto directors = openPinned(pinDir + "/real_directors");
  auto config = openPinned(pinDir + "/real_decap_config");
  if (!vips) return Error{vips.error()};
  if (!directors) return Error{directors.error()};
  if (!config) return Error{config.error()};
  // Allow-list first when it grows, VIPs before it shrinks: no packet of the new set is refused.
  if (auto st = syncAddressMap(directors->get(), request.directors); !st) return st;
  uint32_t zero = 0;
  uint32_t flags = request.directors.empty() ? 0 : REAL_DECAP_REQUIRE_DIRECTOR;
  if (bpf_map_update_elem(config->get(), &zero, &flags, BPF_ANY) != 0) {
    return Error{std::string("decap config: ") + std::strerror(errno)};
  }
  return syncAddressMap(vips->get(), request.vips);
}

// Undoes one run's changes (a failed up): addresses, sysctls in reverse, links.
void undo(NetlinkAddressOwner& owner, const std::vector<IpAddress>& added,
          const std::vector<SysctlChange>& sysctls, const std::vector<std::string>& linksUp) {
  for (const auto& a : added) (void)owner.purge(onLo(a));
  for (size_t i = sysctls.size(); i-- > 0;) (void)restoreSysctl(sysctls[i]);  // newest first
  for (const auto& l : linksUp) (void)setLinkUp(l, false);
}

}  // namespace

Result<std::string> tunUp(const TunUp& request) {
  auto netns = netnsInode();
  if (!netns) return Error{netns.error()};
  auto owner = NetlinkAddressOwner::open();
  if (!owner) return Error{owner.error()};
  // Everything is checked before anything changes.
  auto ifindex = (*owner)->ifindex(request.device);
  if (!ifindex) return Error{ifindex.error()};
  if (request.device == "lo")
    return Error{"--device lo: the director's packets arrive on a real device"};
  std::vector<std::string> tunnelLinks;
  if (request.decap == DecapMode::kIpip) {
    if (anyV4(request.vips)) tunnelLinks.emplace_back("tunl0");
    if (anyV6(request.vips)) tunnelLinks.emplace_back("ip6tnl0");
    for (const auto& l : tunnelLinks) {
      if (!(*owner)->ifindex(l)) {
        return Error{"--decap ipip: no " + l + " in this namespace (modprobe " +
                     (l == "tunl0" ? "ipip" : "ip6_tunnel") + ", or use --decap bpf)"};
      }
    }
  }
  TunState state;
  const std::string path = statePath(*netns);
  bool again = false;
  if (auto text = readFile(path)) {
    auto previous = parseTunState(*text);
    if (!previous)
      return Error{path + ": " + previous.error() + " (remove it after checking by hand)"};
    if (previous->device != request.device || previous->decap != request.decap) {
      return Error{"tun is up on " + previous->device + " (decap " +
                   (previous->decap == DecapMode::kIpip ? "ipip" : "bpf") +
                   ") in this namespace: run `directord-real tun down` first"};
    }
    state = *previous;
    again = true;
  }
  const std::string pinDir = netPinDir(*netns);
  if (request.decap == DecapMode::kBpf) {
    if (auto st = ensureBpffs(); !st) return Error{st.error()};
    auto running = decapRunning(pinDir, *ifindex);
    if (!running) return Error{running.error()};
    if (*running) {
      if (auto st = updateDecap(pinDir, request); !st) return Error{st.error()};
    } else {
      (void)removePinDir(pinDir);  // a stale pin (its device or namespace went away)
      if (auto st = attachDecap(pinDir, *ifindex, request); !st) return Error{st.error()};
    }
  }
  std::vector<IpAddress> added;
  std::vector<SysctlChange> changed;
  std::vector<std::string> raised;
  auto fail = [&](const std::string& why) -> Result<std::string> {
    undo(**owner, added, changed, raised);
    if (!again) (void)removePinDir(pinDir);
    return Error{why};
  };
  for (const auto& vip : request.vips) {
    if (contains(state.addedToLo, vip)) continue;
    if (auto st = (*owner)->add(onLo(vip)); !st) return fail(st.error());
    if ((*owner)->owns(onLo(vip))) added.push_back(vip);
  }
  for (const auto& l : tunnelLinks) {
    auto up = linkIsUp(l);
    if (!up) return fail(up.error());
    if (*up) continue;
    if (auto st = setLinkUp(l, true); !st) return fail(st.error());
    raised.push_back(l);
  }
  TunState next = state;
  for (const auto& want : wantedSysctls(request)) {
    if (auto st = applySysctl(want, next, changed); !st) return fail(st.error());
  }
  // VIPs an earlier up added and this one no longer names leave lo now.
  std::vector<IpAddress> keep;
  for (const auto& a : state.addedToLo) {
    if (contains(request.vips, a)) {
      keep.push_back(a);
    } else if (auto st = (*owner)->purge(onLo(a)); !st) {
      return fail(st.error());
    }
  }
  next.device = request.device;
  next.decap = request.decap;
  next.vips = request.vips;
  next.directors = request.directors;
  next.addedToLo = keep;
  next.addedToLo.insert(next.addedToLo.end(), added.begin(), added.end());
  next.linksUp.insert(next.linksUp.end(), raised.begin(), raised.end());
  if (auto st = makeDirs(netRunDir(*netns)); !st) return fail(st.error());
  if (auto st = writeFileAtomic(path, formatTunState(next)); !st) return fail(st.error());
  std::string message = std::string(again ? "tun up (again)" : "tun up") + " on " + request.device +
                        ": " + std::to_string(request.vips.size()) + " VIP(s), " +
                        std::to_string(added.size()) + " added to lo, decap " +
                        (request.decap == DecapMode::kIpip ? "ipip" : "bpf at tcx ingress");
  if (!request.directors.empty())
    message += ", " + std::to_string(request.directors.size()) + " director(s) allowed";
  return message;
}

Result<std::string> tunDown() {
  auto netns = netnsInode();
  if (!netns) return Error{netns.error()};
  const std::string path = statePath(*netns);
  const std::string pinDir = netPinDir(*netns);
  auto text = readFile(path);
  if (!text) {
    // No state: nothing of ours, unless pins survived a lost state file.
    if (exists(pinDir)) {
      if (auto st = ensureBpffs(); !st) return Error{st.error()};
      if (auto st = removePinDir(pinDir); !st) return Error{st.error()};
      return std::string("tun down: no state file; removed the pins in ") + pinDir;
    }
    return std::string("tun is not up in this network namespace: nothing to remove");
  }
  auto state = parseTunState(*text);
  if (!state) return Error{path + ": " + state.error()};
  auto owner = NetlinkAddressOwner::open();
  if (!owner) return Error{owner.error()};
  std::string failures;
  auto note = [&](const Status& st) {
    if (!st) failures += (failures.empty() ? "" : "; ") + st.error();
  };
  if (state->decap == DecapMode::kBpf) {
    if (auto st = ensureBpffs(); !st) {
      note(st);
    } else {
      note(removePinDir(pinDir));  // the link's pin was its last reference: detached
    }
  }
  for (const auto& a : state->addedToLo) note((*owner)->purge(onLo(a)));
  for (size_t i = state->sysctls.size(); i-- > 0;) note(restoreSysctl(state->sysctls[i]));
  for (const auto& l : state->linksUp) note(setLinkUp(l, false));
  if (!failures.empty()) return Error{"tun down: " + failures + " (state kept in " + path + ")"};
  ::unlink(path.c_str());
  ::rmdir(netRunDir(*netns).c_str());
  return "tun down: removed " + std::to_string(state->addedToLo.size()) +
         " VIP(s) from lo, restored " + std::to_string(state->sysctls.size()) + " sysctl(s)" +
         (state->decap == DecapMode::kBpf ? ", detached the decapsulator" : "");
}

}  // namespace ha::real
