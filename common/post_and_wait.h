#pragma once
// Runs `f` on the thread that runs `io` and waits for its result, but never past `deadline`: how
// another thread asks a module's io_context thread for something (docs/style.md §5) without sharing
// its state, and without hanging when that thread is busy or stuck.
//
// On time the result is f's (a Result<T> is returned as it is, not nested). Past the deadline the
// caller gets an Error, and what happened to `f` is known exactly:
//  - not started yet: it never runs (the waiter abandons it; whatever it would change stays as is);
//  - already running: it finishes on its own thread later and its result is dropped.
// So `f` owns what it uses: capture values and the io_context owner's `this`, never the caller's
// stack by reference (the caller may have returned by the time a running `f` reads it). The shared
// call state keeps the result slot alive for a late `f`.
//
// Never call it from `io`'s own thread: it would wait for itself (aborts, a broken invariant).
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "common/clock.h"
#include "common/log.h"
#include "common/result.h"

namespace ha {

// How many cross-thread calls missed their deadline since start (every thread, every caller).
inline std::atomic<uint64_t>& crossThreadTimeouts() {
  static std::atomic<uint64_t> count{0};
  return count;
}

namespace detail {

template <typename R>
struct AsResult {
  using type = Result<R>;
};
template <typename T>
struct AsResult<Result<T>> {
  using type = Result<T>;
};

enum class CallPhase : uint8_t { kQueued, kRunning, kDone, kAbandoned };

template <typename R>
struct CrossThreadCall {
  std::mutex mu;
  std::condition_variable finished;
  CallPhase phase = CallPhase::kQueued;
  std::optional<R> result;
  std::exception_ptr thrown;
};

inline std::string millis(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

}  // namespace detail

// `thread` names the io_context's thread in the error ("director", "vrrp", ...).
template <typename F>
auto postAndWait(boost::asio::io_context& io, std::string_view thread, TimePoint deadline, F&& f)
    -> typename detail::AsResult<std::invoke_result_t<std::decay_t<F>&>>::type {
  using R = std::invoke_result_t<std::decay_t<F>&>;
  static_assert(!std::is_void_v<R>, "return a value (a Status) so the caller learns it ran");
  using Call = detail::CrossThreadCall<R>;
  if (io.get_executor().running_in_this_thread()) {
    log::error("postAndWait called on the " + std::string(thread) + " thread itself: it would wait for itself");
    std::abort();
  }
  const TimePoint asked = Clock::now();
  auto call = std::make_shared<Call>();
  boost::asio::post(io, [call, fn = std::forward<F>(f)]() mutable {
    {
      std::lock_guard lock(call->mu);
      if (call->phase == detail::CallPhase::kAbandoned) return;
      call->phase = detail::CallPhase::kRunning;
    }
    std::optional<R> value;
    std::exception_ptr thrown;
    try {
      value.emplace(fn());
    } catch (...) {
      thrown = std::current_exception();
    }
    {
      std::lock_guard lock(call->mu);
      call->result = std::move(value);
      call->thrown = thrown;
      call->phase = detail::CallPhase::kDone;
    }
    call->finished.notify_all();
  });
  std::unique_lock lock(call->mu);
  if (call->finished.wait_until(lock, deadline, [&] { return call->phase == detail::CallPhase::kDone; })) {
    if (call->thrown) std::rethrow_exception(call->thrown);
    return std::move(*call->result);
  }
  const bool running = call->phase == detail::CallPhase::kRunning;
  if (!running) call->phase = detail::CallPhase::kAbandoned;
  lock.unlock();
  const uint64_t count = ++crossThreadTimeouts();
  std::string why = "the " + std::string(thread) + " thread " +
                    (running ? "was still working on the request after " : "did not take the request within ") +
                    detail::millis(Clock::now() - asked) +
                    (running ? " (its result will be dropped)" : " (busy or stuck; the request was withdrawn)") +
                    "; cross-thread timeouts since start: " + std::to_string(count);
  log::error(why);
  return Error{std::move(why)};
}

}  // namespace ha
