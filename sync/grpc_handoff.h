#pragma once
// gRPC runs a reactor's reactions on its own threads and orders them after the Start*/Finish call
// that asked for them (and every reaction after the reactor's construction) through its own
// synchronization inside libgrpc: absl::Mutex and futexes, which Debian's gRPC is not built to
// show ThreadSanitizer. Without these marks TSan sees a reactor's fields written on one thread and
// read on another with nothing between them. handOff() before passing the reactor to gRPC and
// takeOver() at the start of each reaction state that documented ordering to TSan; outside a TSan
// build both compile to nothing.
#if defined(__SANITIZE_THREAD__)
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

namespace ha::sync::detail {

inline void handOff([[maybe_unused]] const void* reactor) {
#if defined(__SANITIZE_THREAD__)
  __tsan_release(const_cast<void*>(reactor));
#endif
}

inline void takeOver([[maybe_unused]] const void* reactor) {
#if defined(__SANITIZE_THREAD__)
  __tsan_acquire(const_cast<void*>(reactor));
#endif
}

}  // namespace ha::sync::detail
