// bench/sync.sh part C: the client of the end-to-end crash failover. Holds N long-lived TCP flows
// through the VIP to tests/netns/drill_server.py (which answers every line with
// "<real> <peer> <line>") and, once the crash has happened, pings every flow until it answers.
//
//   flowping VIP PORT N READY_FILE T0_FILE OUT [INTERVAL_MS=20] [WINDOW_S=5]
//
// 1. Opens the N flows (at most 200 connecting at once, 3 s each), "hello client-first" on each,
//    and records the answering real. Writes READY_FILE: "opened N failed N".
// 2. Waits (checking every 1 ms, at most 120 s) for T0_FILE, holding the crash time t0
//    (CLOCK_REALTIME ns). Nothing is sent before it, so every answer after it went through the
//    surviving director.
// 3. From then on every flow not yet answered sends "ping <ns>" every INTERVAL_MS (flows spread
//    evenly over the interval) until the first answer, at most WINDOW_S past t0. A flow survives
//    when that answer comes from the same real; its time is the answer's arrival - t0.
// OUT: one line per flow "<idx> <real> <ms>|fail:<reason>". stdout: a summary line
//   opened N survived N failed N p50 MS p99 MS last MS failures {reason:count}
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace {

uint64_t realNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

struct Flow {
  int fd = -1;
  enum State { kNew, kConnecting, kHello, kOpen, kDone, kFailed } state = kNew;
  std::string real, peer, buf, reason;
  uint64_t deadline = 0, nextPing = 0, okNs = 0;
};

void failFlow(int ep, Flow& f, const std::string& why) {
  if (f.fd >= 0) {
    epoll_ctl(ep, EPOLL_CTL_DEL, f.fd, nullptr);
    close(f.fd);
    f.fd = -1;
  }
  f.state = Flow::kFailed;
  f.reason = why;
}

// Reads what is there; returns false when the flow failed. Complete lines go to `lines`.
bool readLines(int ep, Flow& f, std::vector<std::string>& lines) {
  char b[4096];
  for (;;) {
    const ssize_t n = recv(f.fd, b, sizeof b, MSG_DONTWAIT);
    if (n > 0) {
      f.buf.append(b, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) {
      failFlow(ep, f, "closed");
      return false;
    }
    if (errno == EAGAIN || errno == EINTR) break;
    failFlow(ep, f, errno == ECONNRESET ? "reset" : std::string("errno-") + std::to_string(errno));
    return false;
  }
  size_t pos;
  while ((pos = f.buf.find('\n')) != std::string::npos) {
    lines.push_back(f.buf.substr(0, pos));
    f.buf.erase(0, pos + 1);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr, "usage: %s VIP PORT N READY_FILE T0_FILE OUT [INTERVAL_MS] [WINDOW_S]\n", argv[0]);
    return 2;
  }
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1) return 2;
  dst.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[2])));
  const size_t n = std::strtoul(argv[3], nullptr, 10);
  const char* readyFile = argv[4];
  const char* t0File = argv[5];
  const char* outFile = argv[6];
  const uint64_t interval = static_cast<uint64_t>((argc > 7 ? std::atof(argv[7]) : 20.0) * 1e6);
  const uint64_t window = static_cast<uint64_t>((argc > 8 ? std::atof(argv[8]) : 5.0) * 1e9);
  rlimit rl{static_cast<rlim_t>(n + 256), static_cast<rlim_t>(n + 256)};
  setrlimit(RLIMIT_NOFILE, &rl);
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  std::vector<Flow> flows(n);
  std::vector<epoll_event> evs(1024);
  std::vector<std::string> lines;

  // 1. open
  size_t next = 0, connecting = 0;
  const uint64_t openEnd = realNs() + 60ull * 1000000000ull;
  while (realNs() < openEnd) {
    const uint64_t now = realNs();
    while (next < n && connecting < 200) {
      Flow& f = flows[next];
      f.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      int one = 1;
      setsockopt(f.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (connect(f.fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) < 0 && errno != EINPROGRESS) {
        failFlow(ep, f, "connect");
        ++next;
        continue;
      }
      f.state = Flow::kConnecting;
      f.deadline = now + 3000000000ull;
      epoll_event ev{};
      ev.events = EPOLLOUT | EPOLLIN;
      ev.data.u64 = next;
      epoll_ctl(ep, EPOLL_CTL_ADD, f.fd, &ev);
      ++connecting;
      ++next;
    }
    if (next >= n && connecting == 0) break;
    const int k = epoll_wait(ep, evs.data(), static_cast<int>(evs.size()), 10);
    for (int j = 0; j < k; ++j) {
      Flow& f = flows[evs[static_cast<size_t>(j)].data.u64];
      if (f.state == Flow::kConnecting) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(f.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          failFlow(ep, f, "connect-" + std::to_string(err));
          --connecting;
          continue;
        }
        const char hello[] = "hello client-first\n";
        if (send(f.fd, hello, sizeof hello - 1, MSG_NOSIGNAL) < 0) {
          failFlow(ep, f, "send-hello");
          --connecting;
          continue;
        }
        f.state = Flow::kHello;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = evs[static_cast<size_t>(j)].data.u64;
        epoll_ctl(ep, EPOLL_CTL_MOD, f.fd, &ev);
      } else if (f.state == Flow::kHello) {
        lines.clear();
        if (!readLines(ep, f, lines)) {
          --connecting;
          continue;
        }
        if (lines.empty()) continue;
        const auto& l = lines[0];
        const auto a = l.find(' '), b = l.find(' ', a + 1);
        if (a == std::string::npos || b == std::string::npos || l.substr(b + 1) != "hello client-first") {
          failFlow(ep, f, "bad-hello");
        } else {
          f.real = l.substr(0, a);
          f.peer = l.substr(a + 1, b - a - 1);
          f.state = Flow::kOpen;
        }
        --connecting;
      } else if (f.state == Flow::kOpen) {
        lines.clear();
        readLines(ep, f, lines);  // nothing is expected before t0
      }
    }
    const uint64_t t = realNs();
    for (size_t i = 0; i < next; ++i) {
      Flow& f = flows[i];
      if ((f.state == Flow::kConnecting || f.state == Flow::kHello) && t > f.deadline) {
        failFlow(ep, f, "open-timeout");
        --connecting;
      }
    }
  }
  size_t opened = 0;
  std::map<std::string, int> perReal;
  for (auto& f : flows) {
    if (f.state == Flow::kOpen) {
      ++opened;
      ++perReal[f.real];
    } else if (f.state != Flow::kFailed) {
      failFlow(ep, f, "not-opened");
    }
  }
  {
    std::ofstream r(std::string(readyFile) + ".tmp");
    r << "opened " << opened << " failed " << (n - opened);
    for (auto& [real, c] : perReal) r << ' ' << real << '=' << c;
    r << "\n";
    r.close();
    std::rename((std::string(readyFile) + ".tmp").c_str(), readyFile);
  }

  // 2. wait for t0 (opened flows that close meanwhile fail)
  uint64_t t0 = 0;
  const uint64_t waitEnd = realNs() + 120ull * 1000000000ull;
  while (realNs() < waitEnd) {
    struct stat st{};
    if (stat(t0File, &st) == 0 && st.st_size > 0) {
      std::ifstream in(t0File);
      unsigned long long v = 0;
      if (in >> v && v > 0) {
        t0 = v;
        break;
      }
    }
    const int k = epoll_wait(ep, evs.data(), static_cast<int>(evs.size()), 1);
    for (int j = 0; j < k; ++j) {
      Flow& f = flows[evs[static_cast<size_t>(j)].data.u64];
      if (f.state != Flow::kOpen) continue;
      lines.clear();
      if (readLines(ep, f, lines) && !lines.empty()) failFlow(ep, f, "data-before-t0");
      if (f.state == Flow::kFailed) f.reason += "-before-t0";
    }
  }
  if (t0 == 0) {
    std::printf("opened %zu survived 0 failed %zu p50 - p99 - last - failures {no-t0:%zu}\n", opened, n, n);
    return 3;
  }

  // 3. ping until answered
  const uint64_t start = realNs();
  size_t i = 0;
  for (auto& f : flows) {
    f.nextPing = start + interval * i++ / n;
  }
  const uint64_t end = t0 + window;
  size_t waiting = opened;
  while (waiting > 0 && realNs() < end) {
    const uint64_t now = realNs();
    for (auto& f : flows) {
      if (f.state != Flow::kOpen || f.nextPing > now) continue;
      char msg[64];
      const int len = std::snprintf(msg, sizeof msg, "ping %llu\n", static_cast<unsigned long long>(now));
      if (send(f.fd, msg, static_cast<size_t>(len), MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno != EAGAIN) {
        failFlow(ep, f, errno == EPIPE || errno == ECONNRESET ? "reset" : "send-" + std::to_string(errno));
        --waiting;
        continue;
      }
      f.nextPing += interval;
    }
    const int k = epoll_wait(ep, evs.data(), static_cast<int>(evs.size()), 1);
    const uint64_t got = realNs();
    for (int j = 0; j < k; ++j) {
      Flow& f = flows[evs[static_cast<size_t>(j)].data.u64];
      if (f.state != Flow::kOpen) continue;
      lines.clear();
      if (!readLines(ep, f, lines)) {
        --waiting;
        continue;
      }
      if (lines.empty()) continue;
      const auto& l = lines[0];
      const auto a = l.find(' ');
      const std::string real = l.substr(0, a);
      if (l.find(" ping ") == std::string::npos) {
        failFlow(ep, f, "bad-reply");
      } else if (real != f.real) {
        failFlow(ep, f, "wrong-real");
      } else {
        f.state = Flow::kDone;
        f.okNs = got;
      }
      --waiting;
    }
  }
  std::vector<double> ms;
  std::map<std::string, int> failures;
  std::ofstream out(outFile);
  for (size_t idx = 0; idx < n; ++idx) {
    Flow& f = flows[idx];
    if (f.state == Flow::kOpen) failFlow(ep, f, "no-answer-in-window");
    if (f.state == Flow::kDone) {
      const double v = static_cast<double>(f.okNs - t0) / 1e6;
      ms.push_back(v);
      out << idx << ' ' << f.real << ' ' << v << "\n";
    } else {
      ++failures[f.reason];
      out << idx << ' ' << (f.real.empty() ? "-" : f.real) << " fail:" << f.reason << "\n";
    }
    if (f.fd >= 0) close(f.fd);
  }
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) {
    if (ms.empty()) return std::string("-");
    char b[32];
    std::snprintf(b, sizeof b, "%.1f", ms[std::min(ms.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(ms.size())))]);
    return std::string(b);
  };
  std::printf("opened %zu survived %zu failed %zu p50 %s p99 %s last %s failures {", opened, ms.size(), n - ms.size(),
              pct(50).c_str(), pct(99).c_str(), ms.empty() ? "-" : pct(100).c_str());
  bool firstF = true;
  for (auto& [r, c] : failures) {
    std::printf("%s%s:%d", firstF ? "" : ",", r.c_str(), c);
    firstF = false;
  }
  std::printf("}\n");
  return 0;
}
