#pragma once
// A stand-in for nf_tables notifications (nft::DriftMonitor): the test reports a foreign change
// and the monitor's descriptor (an eventfd) turns readable, as the netlink socket would.
// Single-threaded: the test drives the loop that reads it.
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "director/nft/drift_monitor.h"

namespace ha::director::test {

class FakeDriftMonitor final : public nft::DriftMonitor {
 public:
  FakeDriftMonitor() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~FakeDriftMonitor() override {
    if (fd_ >= 0) ::close(fd_);
  }
  FakeDriftMonitor(const FakeDriftMonitor&) = delete;
  FakeDriftMonitor& operator=(const FakeDriftMonitor&) = delete;

  int fd() const override { return fd_; }
  Result<nft::DriftRead> read(std::vector<nft::Drift>& out) override {
    uint64_t count = 0;
    [[maybe_unused]] auto drained = ::read(fd_, &count, sizeof count);  // EAGAIN when not signalled
    for (auto& drift : queued_) out.push_back(std::move(drift));
    queued_.clear();
    return nft::DriftRead{std::exchange(overrun_, false)};
  }

  void report(nft::Drift drift) {
    queued_.push_back(std::move(drift));
    signal();
  }
  void reportOverrun() {
    overrun_ = true;
    signal();
  }

 private:
  void signal() {
    const uint64_t one = 1;
    [[maybe_unused]] auto written = ::write(fd_, &one, sizeof one);
  }
  int fd_;
  std::vector<nft::Drift> queued_;
  bool overrun_ = false;
};

}  // namespace ha::director::test
