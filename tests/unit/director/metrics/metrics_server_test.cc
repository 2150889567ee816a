// MetricsServer: prometheus-cpp's Exposer on a loopback port serves the collectable at /metrics; a
// port that is taken is an error naming it and why, never an exception; --metrics-listen parses.
#include "director/metrics/metrics_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

#include "prometheus/metric_family.h"

namespace ha::director::metrics {
namespace {

class CountingCollectable final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override {
    prometheus::MetricFamily family;
    family.name = "test_scrapes_total";
    family.help = "Scrapes seen.";
    family.type = prometheus::MetricType::Counter;
    family.metric.emplace_back().counter.value = static_cast<double>(++scrapes_);
    return {family};
  }
  mutable std::atomic<int> scrapes_{0};
};

// One HTTP/1.0 GET on 127.0.0.1:port; the whole response, "" on any failure (5 s at most).
std::string httpGet(uint16_t port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) == 0) {
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      for (ssize_t n; (n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0;)
        response.append(buffer, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return response;
}

ListenAddress loopback(uint16_t port) { return {*IpAddress::parse("127.0.0.1"), port, {}}; }

// Port 0 gets a free port; each GET /metrics is one Collect() in the text format.
TEST(MetricsServer, ServesTheCollectable) {
  auto collectable = std::make_shared<CountingCollectable>();
  auto server = MetricsServer::start(loopback(0), collectable);
  ASSERT_TRUE(server) << server.error();
  const uint16_t port = (*server)->port();
  ASSERT_NE(port, 0);
  const std::string first = httpGet(port, "/metrics");
  EXPECT_NE(first.find("200 OK"), std::string::npos) << first;
  EXPECT_NE(first.find("# TYPE test_scrapes_total counter\ntest_scrapes_total 1\n"),
            std::string::npos)
      << first;
  EXPECT_NE(httpGet(port, "/metrics").find("test_scrapes_total 2\n"), std::string::npos);
}

// A second server on the port the first holds: an error naming the address and the kernel's
// reason; the first keeps serving.
TEST(MetricsServer, TakenPortIsAClearError) {
  auto collectable = std::make_shared<CountingCollectable>();
  auto first = MetricsServer::start(loopback(0), collectable);
  ASSERT_TRUE(first) << first.error();
  const uint16_t port = (*first)->port();
  auto second = MetricsServer::start(loopback(port), collectable);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error(), "cannot listen on 127.0.0.1:" + std::to_string(port) +
                                " for /metrics: Address already in use");
  EXPECT_NE(httpGet(port, "/metrics").find("test_scrapes_total 1\n"), std::string::npos);
}

// --metrics-listen ADDR:PORT, IPv6 in brackets; anything else is refused with the text.
TEST(MetricsServer, ParseListenAddress) {
  auto v4 = parseListenAddress("127.0.0.1:9101");
  ASSERT_TRUE(v4) << v4.error();
  EXPECT_EQ(v4->str(), "127.0.0.1:9101");
  auto v6 = parseListenAddress("[fd00::1]:9101");
  ASSERT_TRUE(v6) << v6.error();
  EXPECT_EQ(v6->str(), "[fd00::1]:9101");
  for (const char* bad : {"127.0.0.1", "localhost:9101", "fd00::1:9101", "127.0.0.1:0",
                          "127.0.0.1:65536", "127.0.0.1:x", ":9101", "[127.0.0.1]x:1"}) {
    auto r = parseListenAddress(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_NE(r.error().find(bad), std::string::npos) << r.error();
    }
  }
}

}  // namespace
}  // namespace ha::director::metrics
