// bench/sync.sh part B: new TCP connections at a fixed rate, each from its own source port, each
// closed with an RST as soon as it is established (so the client keeps no state and every
// connection's tuple is unique: the bench matches conntrack events across directors by tuple).
//
//   ct_load DST_IP DST_PORT SRC_IP FIRST_PORT COUNT RATE [HOLD_MS=500]
//
// Connection i binds SRC_IP:(FIRST_PORT + i) and is launched at start + i / RATE; once
// established it is held HOLD_MS (so a director's sync sees an established flow, not one that
// closes within the same event batch) and then reset. A connection not established is
// abandoned after 3 s. At most 8192 connecting at once. Prints on stdout:
//   launched N established N failed N timeout N skipped N seconds S rate R
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <unordered_map>

namespace {
double monoNow() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
void closeWithRst(int fd) {
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close(fd);
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 7 && argc != 8) {
    std::fprintf(stderr, "usage: %s DST_IP DST_PORT SRC_IP FIRST_PORT COUNT RATE [HOLD_MS]\n", argv[0]);
    return 2;
  }
  sockaddr_in dst{}, src{};
  dst.sin_family = src.sin_family = AF_INET;
  if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1 || inet_pton(AF_INET, argv[3], &src.sin_addr) != 1) return 2;
  dst.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[2])));
  const int first = std::atoi(argv[4]);
  const long count = std::atol(argv[5]);
  const double rate = std::atof(argv[6]);
  const double hold = (argc > 7 ? std::atof(argv[7]) : 500.0) / 1000.0;
  std::deque<std::pair<double, int>> held;  // (reset at, fd), in order
  if (first < 1 || first + count > 65536 || rate <= 0) return 2;
  rlimit rl{65536, 65536};
  setrlimit(RLIMIT_NOFILE, &rl);
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  std::unordered_map<int, double> inflight;  // fd -> deadline
  std::deque<std::pair<double, int>> deadlines;
  double lastLaunch = 0;
  long launched = 0, established = 0, failed = 0, timedOut = 0, skipped = 0;
  const double t0 = monoNow();
  const double hardEnd = t0 + static_cast<double>(count) / rate + hold + 3.0;
  epoll_event evs[512];
  while (monoNow() < hardEnd && (launched + skipped < count || !inflight.empty() || !held.empty())) {
    double now = monoNow();
    while (launched + skipped < count && t0 + static_cast<double>(launched + skipped) / rate <= now) {
      if (inflight.size() >= 8192) break;
      const long i = launched + skipped;
      const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      int one = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      src.sin_port = htons(static_cast<uint16_t>(first + i));
      if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) < 0) {
        if (fd >= 0) close(fd);
        ++skipped;
        continue;
      }
      const int rc = connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst);
      ++launched;
      lastLaunch = now;
      if (rc < 0 && errno != EINPROGRESS) {
        ++failed;
        close(fd);
        continue;
      }
      epoll_event ev{};
      ev.events = EPOLLOUT;
      ev.data.fd = fd;
      epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
      inflight[fd] = now + 3.0;
      deadlines.emplace_back(now + 3.0, fd);
    }
    const double next = launched + skipped < count ? t0 + static_cast<double>(launched + skipped) / rate : now + 0.01;
    const int waitMs = next > now ? static_cast<int>((next - now) * 1000) : 0;
    // Every ready connection is taken before the deadline sweep: a starved loop (the packet path of
    // each connect runs in this process's syscalls) must not count handshakes it has not looked at
    // yet as timeouts.
    int n = epoll_wait(ep, evs, 512, waitMs > 10 ? 10 : waitMs);
    for (int k = 0; k < n; ++k) {
      const int fd = evs[k].data.fd;
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err == 0) ++established;
      else ++failed;
      epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
      inflight.erase(fd);
      if (err == 0) held.emplace_back(monoNow() + hold, fd);
      else close(fd);
      if (k == n - 1 && n == 512) {  // more may be ready: take them too
        n = epoll_wait(ep, evs, 512, 0);
        k = -1;
      }
    }
    now = monoNow();
    while (!held.empty() && held.front().first <= now) {
      closeWithRst(held.front().second);
      held.pop_front();
    }
    while (!deadlines.empty() && deadlines.front().first < now) {
      const int fd = deadlines.front().second;
      deadlines.pop_front();
      auto it = inflight.find(fd);
      if (it == inflight.end() || it->second > now) continue;  // done already (or fd reused later)
      inflight.erase(it);
      epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
      close(fd);
      ++timedOut;
    }
  }
  for (auto& [at, fd] : held) closeWithRst(fd);
  for (auto& [fd, d] : inflight) {
    close(fd);
    ++timedOut;
  }
  const double secs = monoNow() - t0;
  const double launchSecs = lastLaunch > t0 ? lastLaunch - t0 : secs;
  std::printf("launched %ld established %ld failed %ld timeout %ld skipped %ld seconds %.2f rate %.0f\n", launched,
              established, failed, timedOut, skipped, secs, static_cast<double>(launched) / launchSecs);
  return 0;
}
