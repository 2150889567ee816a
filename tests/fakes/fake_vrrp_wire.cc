#include "tests/fakes/fake_vrrp_wire.h"

#include <cstdlib>
#include <utility>

#include "tests/fakes/fake_address_owner.h"
#include "tests/fakes/fake_vrrp_ports.h"
#include "tests/fakes/manual_vrrp_timers.h"

namespace ha::test {

using vrrp::State;

namespace {

constexpr uint32_t kLanIfindex = 10;     // + member: lan<member>, the instance's interface
constexpr uint32_t kFaultIfindex = 100;  // + member: flt<member>, its weight-0 tracked link

std::string lan(size_t member) { return "lan" + std::to_string(member); }
std::string faultLink(size_t member) { return "flt" + std::to_string(member); }
std::string nameOf(size_t router) { return "R" + std::to_string(router); }
std::string plusScript(size_t router) { return "up" + std::to_string(router); }
std::string minusScript(size_t router) { return "down" + std::to_string(router); }

IpPrefix vipOf(uint8_t vrid, Family family) {
  const std::string v = std::to_string(vrid);
  return *IpPrefix::parse(family == Family::kV4 ? "10.0." + v + ".100/24"
                                                : "fd00:0:0:" + v + "::100/64");
}

}  // namespace

// One director: a real Router and the fakes it runs on. `running` exists while the box is up; a
// crash destroys it, and its address table with it.
struct FakeVrrpWire::Box {
  struct Running {
    explicit Running(ManualClock& clock)
        : timers(clock), transport(clock), announcer(clock), addresses(kernel) {}
    ManualVrrpTimers timers;
    FakeVrrpTransport transport;
    FakeVrrpAnnouncer announcer;
    FakeVrrpLinkMonitor links;
    FakeAddressTable kernel;
    FakeAddressOwner addresses;
    std::unique_ptr<vrrp::Router> router;  // last: it goes first, it uses all of the above
  };

  size_t index = 0;
  std::vector<size_t> members;  // instances, in member order
  std::optional<size_t> group;  // the sync group it runs, if any
  std::string groupName;
  State groupState = State::kInitialize;
  bool isolated = false;
  uint64_t boot = 0;  // incarnation: deliveries to an earlier one are lost
  std::unique_ptr<Running> running;
};

FakeVrrpWire::FakeVrrpWire(ManualClock& clock, Duration delay) : clock_(clock), delay_(delay) {}

FakeVrrpWire::~FakeVrrpWire() = default;

FakeVrrpWire::Instance& FakeVrrpWire::at(size_t router) {
  if (router >= routers_.size()) std::abort();
  return routers_[router];
}

const FakeVrrpWire::Instance& FakeVrrpWire::at(size_t router) const {
  if (router >= routers_.size()) std::abort();
  return routers_[router];
}

size_t FakeVrrpWire::addRouter(const vrrp::Params& params, uint8_t vrid) {
  const size_t router = routers_.size();
  auto box = std::make_unique<Box>();
  box->index = boxes_.size();
  box->members = {router};
  Instance instance;
  instance.params = params;
  instance.vrid = vrid;
  instance.box = box->index;
  routers_.push_back(instance);
  boxes_.push_back(std::move(box));
  return router;
}

size_t FakeVrrpWire::addSyncGroup(std::vector<size_t> routers, std::string name) {
  const size_t group = groupBox_.size();
  auto box = std::make_unique<Box>();
  box->index = boxes_.size();
  box->group = group;
  box->groupName = name.empty() ? "G" + std::to_string(group) : std::move(name);
  for (size_t m = 0; m < routers.size(); ++m) {
    Instance& instance = at(routers[m]);
    if (instance.running) std::abort();  // groups are formed before their members start
    std::erase(boxes_[instance.box]->members, routers[m]);
    instance.box = box->index;
    instance.member = m;
  }
  box->members = std::move(routers);
  groupBox_.push_back(box->index);
  boxes_.push_back(std::move(box));
  return group;
}

vrrp::InstanceConfig FakeVrrpWire::configOf(size_t router) const {
  const Instance& i = at(router);
  vrrp::InstanceConfig c;
  c.name = nameOf(router);
  c.interface = lan(i.member);
  c.vrid = i.vrid;
  c.priority = i.params.priority;
  c.version = i.params.version;
  c.family = i.params.primaryAddress.family();
  c.advertInterval = i.params.advertInterval;
  c.preempt = i.params.preempt;
  c.preemptDelay = i.params.preemptDelay;
  c.initialState = i.params.initialState;
  c.trackSync = i.params.trackSync;
  c.addresses = {vrrp::VirtualAddress{vipOf(i.vrid, c.family), "", "", ""}};
  c.trackInterfaces = {vrrp::TrackedInterface{faultLink(i.member), 0}};
  c.trackScripts = {vrrp::TrackedScript{plusScript(router), std::nullopt},
                    vrrp::TrackedScript{minusScript(router), std::nullopt}};
  c.garp.masterDelay = Duration::zero();  // one burst per takeover
  return c;
}

vrrp::VrrpConfig FakeVrrpWire::boxConfig(const Box& box) const {
  vrrp::VrrpConfig config;
  std::vector<std::string> names;
  for (size_t router : box.members) {
    const Instance& i = at(router);
    // base + weights = the priority asked for: the healthy script carries a positive difference,
    // the failing one a negative; each otherwise has a weight of the sign that adds nothing.
    const int delta = i.priority ? int{*i.priority} - int{i.params.priority} : 0;
    vrrp::ScriptConfig plus;
    plus.name = plusScript(router);
    plus.command = "/bin/true";
    plus.weight = delta > 0 ? delta : -1;
    vrrp::ScriptConfig minus;
    minus.name = minusScript(router);
    minus.command = "/bin/false";
    minus.weight = delta < 0 ? delta : 1;
    config.scripts.push_back(plus);
    config.scripts.push_back(minus);
    names.push_back(nameOf(router));
    if (i.running) config.instances.push_back(configOf(router));
  }
  if (box.group) config.syncGroups.push_back(vrrp::SyncGroupConfig{box.groupName, "", names, {}});
  return config;
}

void FakeVrrpWire::boot(Box& box) {
  ++box.boot;
  box.running = std::make_unique<Box::Running>(clock_);
  Box::Running& r = *box.running;
  r.kernel.devices = {"lo"};
  for (size_t router : box.members) {
    const Instance& i = at(router);
    r.links.addLink(lan(i.member), kLanIfindex + static_cast<uint32_t>(i.member), true,
                    {i.params.primaryAddress});
    r.links.addLink(faultLink(i.member), kFaultIfindex + static_cast<uint32_t>(i.member),
                    !i.faulted);
    r.kernel.devices.push_back(lan(i.member));
  }
  vrrp::RouterHooks hooks;
  hooks.roleChanged = [this](const vrrp::RoleChange& change) {
    const size_t router = std::stoul(change.instance.substr(1));
    at(router).state = change.to;
    changes_.push_back(Change{clock_.now(), router, {change.from, change.to, change.reason}});
    if (listener_) listener_(changes_.back());
  };
  hooks.notifyGroup = [&box](const vrrp::SyncGroupConfig&, State to) { box.groupState = to; };
  r.router = std::make_unique<vrrp::Router>(
      vrrp::RouterPorts{r.transport, r.announcer, r.links, r.addresses, r.timers},
      std::move(hooks));
  vrrp::Router& router = *r.router;
  r.transport.receiver = [&router](const vrrp::ReceivedPacket& p) { router.onPacket(p); };
  r.links.subscribe([&router](const vrrp::LinkState& l) { router.onLinkChange(l); });
  r.transport.onSend = [this, &box](const FakeVrrpTransport::Sent& s) {
    onSent(box, s.advert, s.source, s.destination, s.payload);
  };
  r.announcer.onAnnounce = [this, &box](const FakeVrrpAnnouncer::Announcement& a) {
    const size_t from = box.members.at(a.ifindex - kLanIfindex);
    if (!announcements_.empty() && announcements_.back().at == a.at &&
        announcements_.back().router == from) {
      return;  // the same burst
    }
    announcements_.push_back(Announcement{a.at, from});
  };
  for (size_t i : box.members) {
    router.onScriptChange(plusScript(i), true);
    router.onScriptChange(minusScript(i), false);
  }
}

void FakeVrrpWire::applyBox(Box& box) {
  if (auto st = box.running->router->apply(boxConfig(box)); !st) std::abort();
}

void FakeVrrpWire::start(size_t router) {
  Instance& i = at(router);
  if (i.running) return;
  Box& box = *boxes_[i.box];
  if (!box.running) boot(box);
  i.running = true;
  applyBox(box);
}

void FakeVrrpWire::stop(size_t router) {
  Instance& i = at(router);
  if (!i.running) return;
  Box& box = *boxes_[i.box];
  i.running = false;
  bool others = false;
  for (size_t m : box.members) others = others || at(m).running;
  if (others) return applyBox(box);  // the instance leaves the config: it hands over
  box.running->router->shutdown();
  box.running.reset();
}

void FakeVrrpWire::crash(size_t router) {
  Box& box = *boxes_[at(router).box];
  if (!box.running) return;
  box.running.reset();  // the Router goes without a word; the addresses with the box
  for (size_t m : box.members) {
    at(m).running = false;
    at(m).state = State::kInitialize;
  }
  box.groupState = State::kInitialize;
}

void FakeVrrpWire::restart(size_t router) {
  crash(router);
  start(router);
}

void FakeVrrpWire::partition(size_t router, bool isolated) {
  boxes_[at(router).box]->isolated = isolated;
}

void FakeVrrpWire::healAll() {
  for (auto& box : boxes_) box->isolated = false;
  for (auto& i : routers_) i.dropNext = 0;
}

void FakeVrrpWire::dropNext(size_t router, size_t count) { at(router).dropNext += count; }

void FakeVrrpWire::setPriority(size_t router, uint8_t priority) {
  Instance& i = at(router);
  i.priority = priority;
  Box& box = *boxes_[i.box];
  if (box.running && i.running) applyBox(box);  // a reload that changes only script weights
}

void FakeVrrpWire::setFault(size_t router, bool faulted, std::string) {
  Instance& i = at(router);
  i.faulted = faulted;
  Box& box = *boxes_[i.box];
  if (box.running) box.running->links.setUp(faultLink(i.member), !faulted);
}

State FakeVrrpWire::state(size_t router) const {
  const Instance& i = at(router);
  return i.running ? i.state : State::kInitialize;
}

bool FakeVrrpWire::running(size_t router) const { return at(router).running; }

bool FakeVrrpWire::holdsAddresses(size_t router) const {
  const Instance& i = at(router);
  const Box& box = *boxes_[i.box];
  if (!box.running) return false;
  return box.running->kernel.has(
      OwnedAddress{vipOf(i.vrid, i.params.primaryAddress.family()), lan(i.member), ""});
}

bool FakeVrrpWire::isolated(size_t router) const { return boxes_[at(router).box]->isolated; }

size_t FakeVrrpWire::masterCount() const {
  size_t n = 0;
  for (size_t i = 0; i < routers_.size(); ++i) n += state(i) == State::kMaster ? 1 : 0;
  return n;
}

size_t FakeVrrpWire::masterCount(uint8_t vrid) const {
  size_t n = 0;
  for (size_t i = 0; i < routers_.size(); ++i) {
    n += routers_[i].vrid == vrid && state(i) == State::kMaster ? 1 : 0;
  }
  return n;
}

size_t FakeVrrpWire::holderCount() const {
  size_t n = 0;
  for (size_t i = 0; i < routers_.size(); ++i) n += holdsAddresses(i) ? 1 : 0;
  return n;
}

vrrp::InstanceStatus FakeVrrpWire::status(size_t router) const {
  const Box& box = *boxes_[at(router).box];
  if (!box.running) std::abort();
  for (auto& s : box.running->router->snapshot().instances) {
    if (s.name == nameOf(router)) return s;
  }
  std::abort();  // not running
}

State FakeVrrpWire::groupState(size_t group) const {
  if (group >= groupBox_.size()) std::abort();
  return boxes_[groupBox_[group]]->groupState;
}

std::optional<TimePoint> FakeVrrpWire::lastEntered(size_t router, State state) const {
  for (auto it = changes_.rbegin(); it != changes_.rend(); ++it) {
    if (it->router == router && it->transition.to == state) return it->at;
  }
  return std::nullopt;
}

void FakeVrrpWire::onSent(Box& box, const vrrp::Advertisement& advert, const IpAddress& source,
                          const IpAddress& destination, const std::vector<uint8_t>& payload) {
  std::optional<size_t> sender;
  for (size_t m : box.members) {
    if (at(m).params.primaryAddress == source) sender = m;
  }
  if (!sender) std::abort();
  Instance& from = at(*sender);
  const TimePoint now = clock_.now();
  const bool lost = box.isolated || from.dropNext > 0;
  if (from.dropNext > 0) --from.dropNext;
  sent_.push_back(Sent{now, *sender, advert.priority, lost});
  if (lost) {
    lastLossAt_ = now;
    return;
  }
  for (const auto& other : boxes_) {
    if (other.get() == &box) continue;
    bool listens = false;
    for (size_t m : other->members) listens = listens || at(m).vrid == from.vrid;
    if (!listens) continue;
    clock_.schedule(now + delay_,
                    [this, alive = std::weak_ptr<int>(alive_), to = other->index,
                     boot = other->boot, vrid = from.vrid, source, destination, payload] {
                      if (alive.expired()) return;
                      deliver(to, boot, vrid, source, destination, payload);
                    });
  }
}

void FakeVrrpWire::deliver(size_t to, uint64_t boot, uint8_t vrid, const IpAddress& source,
                           const IpAddress& destination, const std::vector<uint8_t>& payload) {
  Box& box = *boxes_[to];
  if (!box.running || box.boot != boot) return;  // the receiver died (or rebooted) meanwhile
  for (size_t m : box.members) {
    const Instance& i = at(m);
    if (i.vrid != vrid || !i.running) continue;
    if (box.isolated) {
      lastLossAt_ = clock_.now();
      return;
    }
    box.running->transport.receive(kLanIfindex + static_cast<uint32_t>(i.member), source,
                                   destination, payload);
    return;
  }
}

}  // namespace ha::test
