// The baseline of bench/healthcheck.sh: the least a TCP health checker can do — a bare epoll loop
// that connects to each of N addresses once a second (spread evenly over the second), and closes
// each connection with an RST as soon as it is established. Its CPU is what the kernel charges
// for the handshakes themselves in this testbed (both ends of every veth hop run in the prober's
// context), so directord's share can be read as baseline + its own overhead.
//   hc_prober PREFIX N PORT SECONDS   (addresses PREFIX:<i/65536>:<i%65536>, i = 1..N, IPv6)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s PREFIX N PORT SECONDS\n", argv[0]);
    return 2;
  }
  const std::string prefix = argv[1];
  const int n = std::atoi(argv[2]);
  const auto port = static_cast<uint16_t>(std::atoi(argv[3]));
  const int seconds = std::atoi(argv[4]);
  std::vector<sockaddr_in6> targets(static_cast<size_t>(n));
  for (int i = 1; i <= n; ++i) {
    char text[64];
    std::snprintf(text, sizeof text, "%s:%x:%x", prefix.c_str(), i / 65536, i % 65536);
    sockaddr_in6& a = targets[static_cast<size_t>(i - 1)];
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    if (inet_pton(AF_INET6, text, &a.sin6_addr) != 1) {
      std::fprintf(stderr, "bad address %s\n", text);
      return 2;
    }
  }
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  const int tick = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  itimerspec every{{0, 1000000}, {0, 1000000}};  // 1 ms ticks: N/1000 connects per tick
  timerfd_settime(tick, 0, &every, nullptr);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = tick;
  epoll_ctl(ep, EPOLL_CTL_ADD, tick, &ev);
  const linger rst{1, 0};
  unsigned long long started = 0, connected = 0, failed = 0;
  const unsigned long long ticksTotal = static_cast<unsigned long long>(seconds) * 1000;
  unsigned long long ticks = 0;
  size_t next = 0;
  while (ticks < ticksTotal) {
    epoll_event out[256];
    const int ready = epoll_wait(ep, out, 256, 100);
    for (int i = 0; i < ready; ++i) {
      if (out[i].data.fd == tick) {
        uint64_t expirations = 0;
        if (read(tick, &expirations, sizeof expirations) != sizeof expirations) continue;
        for (uint64_t e = 0; e < expirations && ticks < ticksTotal; ++e, ++ticks) {
          const unsigned long long due = (ticks + 1) * static_cast<unsigned long long>(n) / 1000;
          for (; started < due; ++started) {
            const int s = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            const sockaddr_in6& t = targets[next];
            next = (next + 1) % targets.size();
            connect(s, reinterpret_cast<const sockaddr*>(&t), sizeof t);
            epoll_event w{};
            w.events = EPOLLOUT;
            w.data.fd = s;
            epoll_ctl(ep, EPOLL_CTL_ADD, s, &w);
          }
        }
        continue;
      }
      const int s = out[i].data.fd;
      ++((out[i].events & (EPOLLERR | EPOLLHUP)) != 0 ? failed : connected);
      setsockopt(s, SOL_SOCKET, SO_LINGER, &rst, sizeof rst);
      close(s);  // also leaves the epoll set
    }
  }
  std::printf("started %llu connected %llu failed %llu\n", started, connected, failed);
  return 0;
}
