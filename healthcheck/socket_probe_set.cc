#include "healthcheck/socket_probe_set.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <system_error>
#include <utility>

#include "common/log.h"

namespace ha::healthcheck {
namespace {

// Ready probes taken per epoll_wait; more are drained by looping.
constexpr int kEventBatch = 64;

int createEpoll() {
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  return fd;
}

}  // namespace

SocketProbeSet::Probe::~Probe() {
  if (fd >= 0) ::close(fd);
}

SocketProbeSet::SocketProbeSet(boost::asio::io_context& io, Judge& judge)
    : io_(io),
      judge_(judge),
      epoll_(io, createEpoll()),
      timer_(io),
      alive_(std::make_shared<SocketProbeSet*>(this)) {
  waitForEvents();
}

SocketProbeSet::~SocketProbeSet() {
  alive_.reset();
  slots_.clear();  // closes every socket; each probe unlinks itself from its deadline queue
}

uint64_t SocketProbeSet::keyOf(const Probe& probe, uint32_t generation) {
  return (static_cast<uint64_t>(generation) << 32) | probe.slot;
}

uint32_t SocketProbeSet::adopt(std::unique_ptr<Probe> probe) {
  uint32_t slot;
  if (freeSlots_.empty()) {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    slot = freeSlots_.back();
    freeSlots_.pop_back();
  }
  probe->slot = slot;
  slots_[slot].probe = std::move(probe);
  return slot;
}

SocketProbeSet::Probe* SocketProbeSet::find(uint64_t key) const {
  const auto slot = static_cast<uint32_t>(key);
  const auto generation = static_cast<uint32_t>(key >> 32);
  if (slot >= slots_.size() || slots_[slot].generation != generation) return nullptr;
  return slots_[slot].probe.get();
}

void SocketProbeSet::watch(std::unique_ptr<Probe> probe, uint32_t events, Duration timeout) {
  const uint32_t slot = adopt(std::move(probe));
  Probe& adopted = *slots_[slot].probe;
  adopted.events = events;
  epoll_event registration{};
  registration.events = events | EPOLLONESHOT;
  registration.data.u64 = keyOf(adopted, slots_[slot].generation);
  const int operation = adopted.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  if (::epoll_ctl(epoll_.native_handle(), operation, adopted.fd, &registration) != 0) {
    postFinish(slot, ProbeResult::fail(FailureReason::kLocalError,
                                       "epoll_ctl: " + std::generic_category().message(errno)));
    return;
  }
  adopted.registered = true;
  queueDeadline(adopted, timeout);
}

void SocketProbeSet::finishSoon(std::unique_ptr<Probe> probe, ProbeResult result) {
  postFinish(adopt(std::move(probe)), std::move(result));
}

void SocketProbeSet::postFinish(uint32_t slot, ProbeResult result) {
  const uint64_t key = keyOf(*slots_[slot].probe, slots_[slot].generation);
  boost::asio::post(
      io_, [this, alive = std::weak_ptr(alive_), key, result = std::move(result)]() mutable {
        if (alive.expired()) return;
        if (Probe* probe = find(key)) finish(*probe, std::move(result));
      });
}

void SocketProbeSet::finish(Probe& probe, ProbeResult result) {
  Slot& slot = slots_[probe.slot];
  std::unique_ptr<Probe> owned = std::move(slot.probe);
  ++slot.generation;  // a late event or post for this slot now finds nothing
  freeSlots_.push_back(owned->slot);
  Checker::Done done = std::move(owned->done);
  result.latency = Clock::now() - owned->start;
  judge_.retire(*owned);
  owned.reset();  // closes the socket and leaves the deadline queue before anyone hears of it
  done(std::move(result));
}

void SocketProbeSet::queueDeadline(Probe& probe, Duration timeout) {
  auto queue = std::find_if(queues_.begin(), queues_.end(),
                            [&](const auto& q) { return q->timeout == timeout; });
  if (queue == queues_.end()) {
    queues_.push_back(std::make_unique<TimeoutQueue>());
    queue = std::prev(queues_.end());
    (*queue)->timeout = timeout;
  }
  DeadlineList& probes = (*queue)->probes;
  probe.deadline = probe.start + timeout;
  // Starts come from one thread's steady clock, so this only guards the queue's order.
  if (!probes.empty() && probes.back().deadline > probe.deadline)
    probe.deadline = probes.back().deadline;
  probes.push_back(probe);
  armTimer(probe.deadline);
}

void SocketProbeSet::armTimer(TimePoint deadline) {
  if (timerDeadline_ && *timerDeadline_ <= deadline) return;
  timerDeadline_ = deadline;
  timer_.expires_at(deadline);  // cancels the later wait, whose handler sees operation_aborted
  timer_.async_wait([this, alive = std::weak_ptr(alive_)](const boost::system::error_code& error) {
    if (alive.expired() || error) return;
    onTimer();
  });
}

SocketProbeSet::Probe* SocketProbeSet::firstExpired(TimePoint now) {
  for (const auto& queue : queues_) {
    if (!queue->probes.empty() && queue->probes.front().deadline <= now)
      return &queue->probes.front();
  }
  return nullptr;
}

void SocketProbeSet::onTimer() {
  timerDeadline_.reset();
  const std::weak_ptr<SocketProbeSet*> alive = alive_;
  const TimePoint now = Clock::now();
  // One at a time: each `done` may start probes (even with a new timeout, adding a queue).
  while (Probe* probe = firstExpired(now)) {
    ProbeResult result = judge_.onDeadline(*probe);
    finish(*probe, std::move(result));
    if (alive.expired()) return;  // a `done` destroyed the checker
  }
  std::erase_if(queues_, [](const auto& queue) { return queue->probes.empty(); });
  for (const auto& queue : queues_) armTimer(queue->probes.front().deadline);
}

void SocketProbeSet::waitForEvents() {
  epoll_.async_wait(boost::asio::posix::descriptor_base::wait_read,
                    [this, alive = std::weak_ptr(alive_)](const boost::system::error_code& error) {
                      if (alive.expired() || error == boost::asio::error::operation_aborted) return;
                      if (error) {
                        // Never expected of an epoll descriptor. Not re-armed, so it cannot
                        // spin; probes then end by their deadlines.
                        log::error("health-check epoll wait failed: " + error.message());
                        return;
                      }
                      onEvents();
                    });
}

void SocketProbeSet::onEvents() {
  const std::weak_ptr<SocketProbeSet*> alive = alive_;
  std::array<epoll_event, kEventBatch> events;
  for (;;) {
    const int count = ::epoll_wait(epoll_.native_handle(), events.data(), kEventBatch, 0);
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) log::error("health-check epoll_wait: " + std::generic_category().message(errno));
    for (int i = 0; i < count; ++i) {
      const epoll_event& event = events[static_cast<size_t>(i)];
      Probe* probe = find(event.data.u64);
      if (probe == nullptr) continue;  // a registration that outlived its probe
      if (std::optional<ProbeResult> verdict = judge_.onReady(*probe, event.events)) {
        finish(*probe, std::move(*verdict));
        if (alive.expired()) return;  // a `done` destroyed the checker
      } else {
        epoll_event again{};
        again.events = probe->events | EPOLLONESHOT;
        again.data.u64 = event.data.u64;
        if (::epoll_ctl(epoll_.native_handle(), EPOLL_CTL_MOD, probe->fd, &again) != 0) {
          finish(*probe, ProbeResult::fail(FailureReason::kLocalError,
                                           "epoll_ctl: " + std::generic_category().message(errno)));
          if (alive.expired()) return;
        }
      }
    }
    if (count < kEventBatch) break;
  }
  waitForEvents();
}

}  // namespace ha::healthcheck
