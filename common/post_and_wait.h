#pragma once
// Runs `f` on the thread that runs `io` and waits for its result: how another thread asks a
// module's io_context thread for something (STYLE.md §5) without sharing its state. Never call it
// from that thread itself (it would wait for itself).
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <memory>
#include <utility>

namespace ha {

template <typename F>
auto postAndWait(boost::asio::io_context& io, F&& f) -> decltype(f()) {
  using R = decltype(f());
  auto task = std::make_shared<std::packaged_task<R()>>(std::forward<F>(f));
  auto result = task->get_future();
  boost::asio::post(io, [task] { (*task)(); });
  return result.get();
}

}  // namespace ha
