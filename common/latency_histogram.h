#pragma once
// A fixed-bucket latency histogram as a value: the module that measures keeps one on its own
// thread and copies it into its snapshot; /metrics exports it as a Prometheus histogram. The
// buckets are Prometheus' default ones stretched down to 100 us (an nf_tables commit of a health
// flip takes 0.5-0.8 ms, a probe on a LAN a few hundred us).
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace ha {

struct LatencyHistogram {
  static constexpr std::array<double, 15> kUpperBoundsSeconds = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
      0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   10.0};
  // counts[i]: observations in (bound[i-1], bound[i]]; the last one: above every bound (+Inf).
  std::array<uint64_t, kUpperBoundsSeconds.size() + 1> counts{};
  uint64_t count = 0;
  double sumSeconds = 0;

  void observe(std::chrono::nanoseconds latency) {
    const double seconds = std::chrono::duration<double>(latency).count();
    size_t bucket = 0;
    while (bucket < kUpperBoundsSeconds.size() && seconds > kUpperBoundsSeconds[bucket]) ++bucket;
    ++counts[bucket];
    ++count;
    sumSeconds += seconds;
  }
};

}  // namespace ha
