// Action-sequence fuzzer for VRRP: the input is read as a small cluster (2-3 real
// vrrp::Routers on FakeVrrpWire — state machine, router, packet codec — one VRID) and a sequence
// of start / stop / crash / restart / partition / heal / priority / fault / drop / advance
// actions. It aborts when
//   - two running routers are MASTER for longer than one Master_Down_Interval while the wire is
//     whole (nothing isolated, nothing lost, no action taken meanwhile), or
//   - after healing everything and letting adverts flow for the largest preempt_delay generated
//     plus 4 x the largest Master_Down_Interval, the running routers do not have exactly one
//     MASTER, or the addresses are held by anyone but that MASTER. (A preempt delay still running
//     at the check is not convergence: the takeover at its end briefly makes two masters, for one
//     wire delay, and a check landing there aborted long runs.)
// Input layout: byte 0 = cluster (bit 0: 3 routers; bit 1: VRRPv2; bits 2-3: interval; bits 4-6:
// wire delay in ms); 2 bytes per router (priority; flags: bit 0 nopreempt, bits 1-2 preempt
// delay, bit 3 `state MASTER`); then (op, arg) pairs: low nibble of op = action, high nibble =
// router. At most kMaxActions actions, so every input runs in bounded (simulated) time.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "tests/fakes/fake_vrrp_wire.h"
#include "tests/fakes/manual_clock.h"
#include "vrrp/state_machine.h"

namespace {

using ha::Duration;
using ha::TimePoint;
using ha::test::FakeVrrpWire;
using ha::test::ManualClock;
using ha::vrrp::State;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr size_t kMaxActions = 48;
// preempt_delay values the input picks from (flags bits 1-2).
constexpr Duration kPreemptDelays[] = {Duration::zero(), Duration::zero(), std::chrono::seconds(2),
                                       std::chrono::seconds(5)};
constexpr Duration kMaxPreemptDelay = std::chrono::seconds(5);
static_assert(*std::max_element(std::begin(kPreemptDelays), std::end(kPreemptDelays)) ==
              kMaxPreemptDelay);

class Run {
 public:
  Run(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  void execute() {
    const uint8_t cluster = next();
    const size_t routers = 2 + (cluster & 1);
    const bool v2 = (cluster & 2) != 0;
    static constexpr Duration kV3Intervals[] = {milliseconds(100), seconds(1), milliseconds(250),
                                                seconds(2)};
    static constexpr Duration kV2Intervals[] = {seconds(1), seconds(1), seconds(2), seconds(3)};
    interval_ = (v2 ? kV2Intervals : kV3Intervals)[(cluster >> 2) & 3];
    delay_ = milliseconds((cluster >> 4) & 7);
    wire_.setDelay(delay_);
    // The longest Master_Down_Interval any router can have: priority 1 (RFC 5798 §6.1).
    const Duration maxSkew = v2 ? Duration(seconds(1)) * 255 / 256 : interval_ * 255 / 256;
    maxDown_ = 3 * interval_ + maxSkew;
    for (size_t i = 0; i < routers; ++i) {
      const uint8_t priority = next();
      const uint8_t flags = next();
      ha::vrrp::Params p;
      p.version = v2 ? ha::vrrp::Version::kV2 : ha::vrrp::Version::kV3;
      p.priority = priority == 0 ? 1 : priority;
      p.advertInterval = interval_;
      p.preempt = (flags & 1) == 0;
      p.preemptDelay = kPreemptDelays[(flags >> 1) & 3];
      p.initialState = (flags & 8) ? ha::vrrp::InitialState::kMaster
                                   : ha::vrrp::InitialState::kBackup;
      p.primaryAddress = ha::IpAddress::v4(0xc0000200u + static_cast<uint32_t>(i) + 1);
      wire_.addRouter(p);
    }
    faulted_.assign(routers, false);
    wire_.onChange([this](const FakeVrrpWire::Change&) { check(); });

    for (size_t n = 0; n < kMaxActions && pos_ + 1 < size_; ++n) {
      const uint8_t op = next();
      const uint8_t arg = next();
      act(op & 0x0f, (op >> 4) % routers, arg);
    }

    // Heal the network, clear every fault, and let adverts flow: long enough for a preempt delay
    // started by the first advert after healing to run out, and for the (at most two, with three
    // routers) takeovers that follow it.
    disturbed();
    wire_.healAll();
    for (size_t i = 0; i < routers; ++i) {
      if (faulted_[i]) wire_.setFault(i, false, "fuzz: fault cleared");
    }
    advance(kMaxPreemptDelay + 4 * (maxDown_ + delay_));
    size_t running = 0;
    for (size_t i = 0; i < routers; ++i) running += wire_.running(i) ? 1 : 0;
    if (running > 0 && wire_.masterCount() != 1) fail("not exactly one master after convergence");
    for (size_t i = 0; i < routers; ++i) {
      if (wire_.holdsAddresses(i) != (wire_.state(i) == State::kMaster)) {
        fail("addresses held by a router that is not the master (or master without them)");
      }
    }
  }

 private:
  uint8_t next() { return pos_ < size_ ? data_[pos_++] : 0; }

  void act(uint8_t action, size_t router, uint8_t arg) {
    switch (action % 12) {
      case 0: disturbed(); return wire_.start(router);
      case 1: disturbed(); return wire_.stop(router);
      case 2: disturbed(); return wire_.crash(router);
      case 3: disturbed(); return wire_.restart(router);
      case 4: disturbed(); return wire_.partition(router, true);
      case 5: disturbed(); return wire_.partition(router, false);
      case 6: disturbed(); return wire_.setPriority(router, arg == 0 ? 1 : arg);
      case 7: return advance(milliseconds(arg + 1));
      case 8: return advance(interval_ * (arg % 32 + 1) / 4);
      case 9: return advance(maxDown_ * (arg % 8 + 1));
      case 10: disturbed(); return wire_.dropNext(router, arg % 4 + 1);
      default:
        disturbed();
        faulted_[router] = !faulted_[router];
        return wire_.setFault(router, faulted_[router], "fuzz: fault");
    }
  }

  // Any action can legitimately start a new split (a restarted owner, a priority change): the
  // two-master window is measured from the last one.
  void disturbed() {
    check();
    lastAction_ = clock_.now();
  }

  void advance(Duration d) {
    wire_.advance(d);
    check();
  }

  // Called after every transition and action: tracks how long two masters have coexisted on a
  // whole wire.
  void check() {
    bool whole = true;
    for (size_t i = 0; i < wire_.size(); ++i) whole = whole && !wire_.isolated(i);
    const bool split = whole && wire_.masterCount() >= 2;
    const TimePoint now = clock_.now();
    if (!split) {
      splitSince_.reset();
      return;
    }
    if (!splitSince_) splitSince_ = now;
    TimePoint from = *splitSince_;
    if (lastAction_ && *lastAction_ > from) from = *lastAction_;
    if (auto loss = wire_.lastLossAt(); loss && *loss > from) from = *loss;
    if (now - from > maxDown_ + delay_) {
      fail("two masters on a whole wire for a master down interval");
    }
  }

  [[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "vrrp_fsm_fuzz: %s\n", what);
    for (const auto& c : wire_.changes()) {
      std::fprintf(stderr, "  %12.6f s  router %zu  %s -> %s  (%s)\n",
                   std::chrono::duration<double>(c.at - ManualClock::kStart).count(), c.router,
                   std::string(ha::vrrp::stateName(c.transition.from)).c_str(),
                   std::string(ha::vrrp::stateName(c.transition.to)).c_str(),
                   c.transition.reason.c_str());
    }
    std::abort();
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  ManualClock clock_;
  FakeVrrpWire wire_{clock_};
  Duration interval_{};
  Duration delay_{};
  Duration maxDown_{};
  std::vector<bool> faulted_;
  std::optional<TimePoint> splitSince_;
  std::optional<TimePoint> lastAction_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Run(data, size).execute();
  return 0;
}
