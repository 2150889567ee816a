// RawSocketTransport, PacketAnnouncer and NetlinkLinkMonitor against a real kernel. Run only by
// tests/netns/test_vrrp_transport.sh, inside namespace A of two joined by a veth pair:
//   A  vrrpa  198.51.100.100/32 (a VIP, added first)  198.51.100.1/24  fd00:1::1/64  fd00:1::100
//   B  vrrpb  198.51.100.2/24  fd00:1::2/64           (HA_NETNS_PEER = /run/netns/B)
// What B sees is observed from B's side: a socket stays in the namespace it was created in, so
// the test setns()es into B to open it and comes back. Captured frames go to HA_NETNS_PCAP_DIR
// for the script to check with tshark.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "vrrp/netlink_link_monitor.h"
#include "vrrp/packet_announcer.h"
#include "vrrp/raw_socket_transport.h"

namespace ha::vrrp {
namespace {

using namespace std::chrono_literals;

// ---- fixture helpers -----------------------------------------------------------------------
namespace netns {

using Bytes = std::vector<uint8_t>;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// While alive, this thread is in the namespace at `path` (and what it creates or forks, too).
class InNamespace {
 public:
  explicit InNamespace(const std::string& path) {
    home_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    const int target = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (home_ < 0 || target < 0 || ::setns(target, CLONE_NEWNET) != 0) {
      std::perror(("setns " + path).c_str());
      std::abort();  // carrying on in the wrong namespace would make every result meaningless
    }
    ::close(target);
  }
  ~InNamespace() {
    if (::setns(home_, CLONE_NEWNET) != 0) std::abort();
    ::close(home_);
  }
  InNamespace(const InNamespace&) = delete;
  InNamespace& operator=(const InNamespace&) = delete;

 private:
  int home_ = -1;
};

std::string shell(const std::string& cmd) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  if (!pipe) return out;
  char buf[512];
  while (fgets(buf, sizeof buf, pipe.get())) out += buf;
  return out;
}

bool waitFor(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

bool runUntil(boost::asio::io_context& io, const std::function<bool()>& done,
              std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    io.restart();
    if (io.run_for(10ms) == 0) std::this_thread::sleep_for(1ms);
  }
  return true;
}

MacAddress macOf(const std::string& dev) {
  MacAddress mac{};
  ifreq req{};
  std::strncpy(req.ifr_name, dev.c_str(), sizeof req.ifr_name - 1);
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && ::ioctl(fd, SIOCGIFHWADDR, &req) == 0) {
    std::memcpy(mac.data(), req.ifr_hwaddr.sa_data, mac.size());
  }
  if (fd >= 0) ::close(fd);
  return mac;
}

std::string macText(const MacAddress& mac) {
  char text[18];
  std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                mac[4], mac[5]);
  return text;
}

// getifaddrs(), independent of the NetlinkLinkMonitor under test.
std::optional<IpAddress> linkLocalOf(const std::string& dev) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return std::nullopt;
  std::optional<IpAddress> found;
  for (ifaddrs* i = list; i != nullptr && !found; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET6 || dev != i->ifa_name) {
      continue;
    }
    sockaddr_in6 sin6;
    std::memcpy(&sin6, i->ifa_addr, sizeof sin6);
    if (sin6.sin6_addr.s6_addr[0] == 0xfe && (sin6.sin6_addr.s6_addr[1] & 0xc0) == 0x80) {
      found = IpAddress::fromBytes(Family::kV6, sin6.sin6_addr.s6_addr);
    }
  }
  freeifaddrs(list);
  return found;
}

// A raw socket of protocol 112 with nothing set but the device: the kernel's own TTL rules.
int plainRawSocket(int family, const std::string& dev) {
  const int fd = ::socket(family, SOCK_RAW | SOCK_CLOEXEC, 112);
  if (fd < 0) return fd;
  if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev.c_str(),
                   static_cast<socklen_t>(dev.size() + 1)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Frames arriving on one interface, whole (Ethernet header included), as a sniffer sees them.
class Capture {
 public:
  static Capture open(uint32_t ifindex) {
    Capture c;
    c.fd_ = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    sockaddr_ll at{};
    at.sll_family = AF_PACKET;
    at.sll_protocol = htons(ETH_P_ALL);
    at.sll_ifindex = static_cast<int>(ifindex);
    if (c.fd_ < 0 || ::bind(c.fd_, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0) {
      ADD_FAILURE() << "capture socket: " << std::strerror(errno);
    }
    return c;
  }
  Capture(Capture&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Capture& operator=(Capture&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  ~Capture() {
    if (fd_ >= 0) ::close(fd_);
  }

  // The first incoming frame that matches, within `limit`.
  std::optional<Bytes> next(const std::function<bool(const Bytes&)>& match,
                            std::chrono::milliseconds limit = 3s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    Bytes buf(65536);
    while (fd_ >= 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      sockaddr_ll from{};
      socklen_t fromLen = sizeof from;
      ssize_t n =
          ::recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &fromLen);
      if (n <= 0 || from.sll_pkttype == PACKET_OUTGOING) continue;
      Bytes frame(buf.begin(), buf.begin() + n);
      if (match(frame)) return frame;
    }
    return std::nullopt;
  }

 private:
  Capture() = default;
  int fd_ = -1;
};

int ipv4Protocol(const Bytes& f) {
  return f.size() >= 34 && f[12] == 0x08 && f[13] == 0x00 ? f[23] : -1;
}
int ipv6NextHeader(const Bytes& f) {
  return f.size() >= 54 && f[12] == 0x86 && f[13] == 0xdd ? f[20] : -1;
}

uint32_t sum16(const uint8_t* data, size_t size, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < size; i += 2) sum += static_cast<uint32_t>(data[i] << 8 | data[i + 1]);
  if (size % 2) sum += static_cast<uint32_t>(data[size - 1] << 8);
  return sum;
}
uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// RFC 2460 §8.1 pseudo-header + upper-layer bytes.
uint32_t pseudoSum(const IpAddress& src, const IpAddress& dst, uint8_t protocol, size_t length) {
  uint32_t sum = sum16(src.bytes(), src.size()) + sum16(dst.bytes(), dst.size());
  return sum + protocol + static_cast<uint32_t>(length >> 16) +
         static_cast<uint32_t>(length & 0xffff);
}

bool icmpv6ChecksumValid(const Bytes& f) {
  const size_t length = static_cast<size_t>(f[18] << 8 | f[19]);
  if (f.size() < 54 + length) return false;
  const IpAddress src = IpAddress::fromBytes(Family::kV6, &f[22]);
  const IpAddress dst = IpAddress::fromBytes(Family::kV6, &f[38]);
  return fold(sum16(&f[54], length, pseudoSum(src, dst, 58, length))) == 0xffff;
}

// A VRRPv3 advertisement (RFC 5798 §5.2), checksummed, so tshark decodes it cleanly. Built here
// rather than with vrrp::encode() so the transport test does not depend on the codec.
Bytes vrrpV3Advert(const IpAddress& src, const IpAddress& dst, uint8_t vrid, uint8_t priority,
                   const std::vector<IpAddress>& addresses) {
  Bytes p{0x31, vrid, priority, static_cast<uint8_t>(addresses.size()), 0x00, 100, 0, 0};
  for (const auto& a : addresses) p.insert(p.end(), a.bytes(), a.bytes() + a.size());
  const uint16_t sum =
      static_cast<uint16_t>(~fold(sum16(p.data(), p.size(), pseudoSum(src, dst, 112, p.size()))));
  p[6] = static_cast<uint8_t>(sum >> 8);
  p[7] = static_cast<uint8_t>(sum & 0xff);
  return p;
}

// Classic pcap (LINKTYPE_ETHERNET) into HA_NETNS_PCAP_DIR, for tshark in the script.
void writePcap(const std::string& name, const std::vector<Bytes>& frames) {
  const std::string dir = env("HA_NETNS_PCAP_DIR");
  if (dir.empty()) return;
  std::ofstream out(dir + "/" + name, std::ios::binary);
  auto put32 = [&](uint32_t v) { out.write(reinterpret_cast<const char*>(&v), 4); };
  auto put16 = [&](uint16_t v) { out.write(reinterpret_cast<const char*>(&v), 2); };
  put32(0xa1b2c3d4);
  put16(2);
  put16(4);
  put32(0);
  put32(0);
  put32(65535);
  put32(1);
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  for (const auto& f : frames) {
    put32(static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(now).count()));
    put32(0);
    put32(static_cast<uint32_t>(f.size()));
    put32(static_cast<uint32_t>(f.size()));
    out.write(reinterpret_cast<const char*>(f.data()), static_cast<std::streamsize>(f.size()));
  }
}

}  // namespace netns

using netns::Bytes;

const IpAddress kA4 = *IpAddress::parse("198.51.100.1");
const IpAddress kB4 = *IpAddress::parse("198.51.100.2");
const IpAddress kVip4 = *IpAddress::parse("198.51.100.100");
const IpAddress kVip6 = *IpAddress::parse("fd00:1::100");
constexpr const char* kDevA = "vrrpa";
constexpr const char* kDevB = "vrrpb";

// ---- pure parts ----------------------------------------------------------------------------

// A header with options and link padding after it: IHL and total length decide, not the buffer.
TEST(Ipv4Header, ParsesOptionsAndIgnoresPadding) {
  Bytes d(24 + 8 + 4, 0);
  d[0] = 0x46;  // IHL 6: one option word
  d[3] = 32;    // total length: header 24 + payload 8; 4 bytes of padding follow
  d[8] = 255;
  d[9] = 112;
  std::memcpy(&d[12], kA4.bytes(), 4);
  std::memcpy(&d[16], multicastGroup(Family::kV4).bytes(), 4);
  auto h = parseIpv4Header(d);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->headerLength, 24u);
  EXPECT_EQ(h->totalLength, 32u);
  EXPECT_EQ(h->ttl, 255);
  EXPECT_EQ(h->protocol, 112);
  EXPECT_EQ(h->source, kA4);
  EXPECT_EQ(h->destination, multicastGroup(Family::kV4));
}

// Headers that claim more (or less) than the datagram holds are refused, never read past.
TEST(Ipv4Header, RefusesInconsistentHeaders) {
  Bytes good(28, 0);
  good[0] = 0x45;
  good[3] = 28;
  ASSERT_TRUE(parseIpv4Header(good));
  EXPECT_FALSE(parseIpv4Header(std::span<const uint8_t>(good.data(), 19))) << "short";
  auto with = [&](size_t at, uint8_t value) {
    Bytes d = good;
    d[at] = value;
    return parseIpv4Header(d);
  };
  EXPECT_FALSE(with(0, 0x65)) << "version 6";
  EXPECT_FALSE(with(0, 0x44)) << "IHL below 5";
  EXPECT_FALSE(with(0, 0x48)) << "IHL past the datagram";
  EXPECT_FALSE(with(3, 16)) << "total length inside the header";
  EXPECT_FALSE(with(3, 29)) << "total length past the datagram";
}

// The ARP announcement of RFC 5227 §2.3: request, sender = target address, zero target MAC.
TEST(AnnouncementFrames, GratuitousArpLayout) {
  const MacAddress mac{0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
  auto a = gratuitousArp(mac, kVip4);
  const Bytes head{0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01};
  EXPECT_EQ(Bytes(a.begin(), a.begin() + 8), head);
  EXPECT_EQ(Bytes(a.begin() + 8, a.begin() + 14), Bytes(mac.begin(), mac.end()));
  EXPECT_EQ(Bytes(a.begin() + 14, a.begin() + 18), Bytes(kVip4.bytes(), kVip4.bytes() + 4));
  EXPECT_EQ(Bytes(a.begin() + 18, a.begin() + 24), Bytes(6, 0));
  EXPECT_EQ(Bytes(a.begin() + 24, a.end()), Bytes(kVip4.bytes(), kVip4.bytes() + 4));
}

// RFC 4861 §4.4 / RFC 5798 §6.4.1: type 136, Router and Override set (not Solicited), target,
// target link-layer option.
TEST(AnnouncementFrames, UnsolicitedNeighbourAdvertLayout) {
  const MacAddress mac{0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
  auto na = unsolicitedNeighbourAdvert(mac, kVip6);
  EXPECT_EQ(na[0], 136);
  EXPECT_EQ(na[1], 0);
  EXPECT_EQ(na[4], 0xa0);
  EXPECT_EQ(Bytes(na.begin() + 8, na.begin() + 24), Bytes(kVip6.bytes(), kVip6.bytes() + 16));
  EXPECT_EQ(na[24], 2);
  EXPECT_EQ(na[25], 1);
  EXPECT_EQ(Bytes(na.begin() + 26, na.end()), Bytes(mac.begin(), mac.end()));
}

// ---- against the kernel --------------------------------------------------------------------

class VrrpNetns : public ::testing::Test {
 protected:
  void SetUp() override {
    peer_ = netns::env("HA_NETNS_PEER");
    // Outside the fixture namespaces this would send on the host's interfaces.
    if (peer_.empty()) GTEST_SKIP() << "run by tests/netns/test_vrrp_transport.sh";
    ifA_ = if_nametoindex(kDevA);
    ASSERT_NE(ifA_, 0u) << kDevA;
    macA_ = netns::macOf(kDevA);
    linkLocalA_ = netns::linkLocalOf(kDevA);
    ASSERT_TRUE(linkLocalA_) << "no link-local on " << kDevA;
    netns::InNamespace b(peer_);
    ifB_ = if_nametoindex(kDevB);
    ASSERT_NE(ifB_, 0u) << kDevB;
    linkLocalB_ = netns::linkLocalOf(kDevB);
    ASSERT_TRUE(linkLocalB_) << "no link-local on " << kDevB;
  }

  bool runUntil(const std::function<bool()>& done, std::chrono::milliseconds limit = 3s) {
    return netns::runUntil(io_, done, limit);
  }

  std::string peer_;
  uint32_t ifA_ = 0;
  uint32_t ifB_ = 0;
  MacAddress macA_{};
  std::optional<IpAddress> linkLocalA_;
  std::optional<IpAddress> linkLocalB_;
  boost::asio::io_context io_;
};

struct Received {
  uint32_t ifindex = 0;
  PacketContext ctx;
  Bytes payload;
};

class TransportNetns : public VrrpNetns {
 protected:
  void SetUp() override {
    VrrpNetns::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    tx_ = std::make_unique<RawSocketTransport>(io_, [](const ReceivedPacket&) {});
    rx_ = std::make_unique<RawSocketTransport>(io_, [this](const ReceivedPacket& p) {
      got_.push_back({p.ifindex, p.ctx, Bytes(p.payload.begin(), p.payload.end())});
    });
  }
  // Attaches the receiver in B and opens a capture on B's end of the wire.
  void attachPeer(Family family) {
    netns::InNamespace b(peer_);
    auto st = rx_->attach(ifB_, family);
    ASSERT_TRUE(st) << st.error();
    capture_ = netns::Capture::open(ifB_);
  }
  bool waitReceived(size_t n = 1) {
    return runUntil([&] { return got_.size() >= n; });
  }

  std::unique_ptr<RawSocketTransport> tx_;
  std::unique_ptr<RawSocketTransport> rx_;
  std::vector<Received> got_;
  std::optional<netns::Capture> capture_;
};

// RFC 5798 §5.1.1: an IPv4 advert to 224.0.0.18 leaves with TTL 255, TOS 0xc0 and the source we
// gave; the receiver gets it with the header stripped and the context filled in.
TEST_F(TransportNetns, Ipv4MulticastArrivesWithTtl255) {
  attachPeer(Family::kV4);
  ASSERT_TRUE(tx_->attach(ifA_, Family::kV4));
  const IpAddress& group = multicastGroup(Family::kV4);
  Bytes advert = netns::vrrpV3Advert(kA4, group, 51, 150, {kVip4});
  auto st = tx_->send(ifA_, kA4, group, advert);
  ASSERT_TRUE(st) << st.error();
  ASSERT_TRUE(waitReceived()) << "nothing arrived on " << kDevB;
  EXPECT_EQ(got_[0].ifindex, ifB_);
  EXPECT_EQ(got_[0].ctx.source, kA4);
  EXPECT_EQ(got_[0].ctx.destination, group);
  EXPECT_EQ(got_[0].ctx.ttl, 255);
  EXPECT_EQ(got_[0].payload, advert);
  EXPECT_EQ(tx_->counters().sent, 1u);
  EXPECT_EQ(rx_->counters().received, 1u);

  auto frame = capture_->next([](const Bytes& f) { return netns::ipv4Protocol(f) == 112; });
  ASSERT_TRUE(frame) << "no VRRP frame captured";
  EXPECT_EQ((*frame)[14 + 1], 0xc0) << "TOS";
  EXPECT_EQ((*frame)[14 + 6] & 0x40, 0) << "DF";
  EXPECT_EQ((*frame)[14 + 8], 255) << "TTL";
  const Bytes mac01005e{0x01, 0x00, 0x5e, 0x00, 0x00, 0x12};  // RFC 1112 §6.4 mapping
  EXPECT_EQ(Bytes(frame->begin(), frame->begin() + 6), mac01005e);
  netns::writePcap("vrrp4.pcap", {*frame});
}

// Unicast peers (keepalived's unicast_peer) also get TTL 255, and the source is the one given
// even when it is not the interface's primary address.
TEST_F(TransportNetns, Ipv4UnicastKeepsSourceAndTtl) {
  attachPeer(Family::kV4);
  ASSERT_TRUE(tx_->attach(ifA_, Family::kV4));
  Bytes advert = netns::vrrpV3Advert(kVip4, kB4, 51, 150, {kVip4});
  auto st = tx_->send(ifA_, kVip4, kB4, advert);
  ASSERT_TRUE(st) << st.error();
  ASSERT_TRUE(waitReceived());
  EXPECT_EQ(got_[0].ctx.source, kVip4);
  EXPECT_EQ(got_[0].ctx.destination, kB4);
  EXPECT_EQ(got_[0].ctx.ttl, 255);
  EXPECT_EQ(got_[0].payload, advert);
}

// RFC 5798 §5.1.2: IPv6 adverts go from the link-local to ff02::12 with hop limit 255; the
// destination and hop limit come back through IPV6_PKTINFO / IPV6_HOPLIMIT.
TEST_F(TransportNetns, Ipv6MulticastFromLinkLocal) {
  attachPeer(Family::kV6);
  ASSERT_TRUE(tx_->attach(ifA_, Family::kV6));
  const IpAddress& group = multicastGroup(Family::kV6);
  Bytes advert = netns::vrrpV3Advert(*linkLocalA_, group, 51, 150, {kVip6});
  auto st = tx_->send(ifA_, *linkLocalA_, group, advert);
  ASSERT_TRUE(st) << st.error();
  ASSERT_TRUE(waitReceived());
  EXPECT_EQ(got_[0].ifindex, ifB_);
  EXPECT_EQ(got_[0].ctx.source, *linkLocalA_);
  EXPECT_EQ(got_[0].ctx.destination, group);
  EXPECT_EQ(got_[0].ctx.ttl, 255);
  EXPECT_EQ(got_[0].payload, advert);

  auto frame = capture_->next([](const Bytes& f) { return netns::ipv6NextHeader(f) == 112; });
  ASSERT_TRUE(frame) << "no VRRP frame captured";
  EXPECT_EQ((*frame)[14 + 7], 255) << "hop limit";
  EXPECT_EQ(Bytes(frame->begin() + 22, frame->begin() + 38),
            Bytes(linkLocalA_->bytes(), linkLocalA_->bytes() + 16));
  netns::writePcap("vrrp6.pcap", {*frame});
}

// A unicast IPv6 peer addressed by its link-local: the scope comes from the interface.
TEST_F(TransportNetns, Ipv6UnicastToLinkLocalPeer) {
  attachPeer(Family::kV6);
  ASSERT_TRUE(tx_->attach(ifA_, Family::kV6));
  Bytes advert = netns::vrrpV3Advert(*linkLocalA_, *linkLocalB_, 51, 150, {kVip6});
  auto st = tx_->send(ifA_, *linkLocalA_, *linkLocalB_, advert);
  ASSERT_TRUE(st) << st.error();
  ASSERT_TRUE(waitReceived());
  EXPECT_EQ(got_[0].ctx.destination, *linkLocalB_);
  EXPECT_EQ(got_[0].ctx.ttl, 255);
}

// A packet with the wrong TTL / hop limit is delivered with it, so the router can count it
// (RFC 5798 §7.1 bad_ttl) instead of it vanishing in the transport.
TEST_F(TransportNetns, ForeignTtlIsReportedNotDropped) {
  attachPeer(Family::kV4);
  attachPeer(Family::kV6);
  Bytes payload{0x31, 1, 100, 0, 0, 100, 0, 0};
  {
    int fd = netns::plainRawSocket(AF_INET, kDevA);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    const int ttl = 64;
    ASSERT_EQ(setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl), 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    std::memcpy(&to.sin_addr, multicastGroup(Family::kV4).bytes(), 4);
    EXPECT_EQ(
        sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to),
        static_cast<ssize_t>(payload.size()))
        << std::strerror(errno);
    close(fd);
  }
  {
    int fd = netns::plainRawSocket(AF_INET6, kDevA);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    const int hops = 1;
    ASSERT_EQ(setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops), 0);
    sockaddr_in6 to{};
    to.sin6_family = AF_INET6;
    std::memcpy(&to.sin6_addr, multicastGroup(Family::kV6).bytes(), 16);
    to.sin6_scope_id = ifA_;
    EXPECT_EQ(
        sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to),
        static_cast<ssize_t>(payload.size()))
        << std::strerror(errno);
    close(fd);
  }
  ASSERT_TRUE(waitReceived(2));
  for (const auto& r : got_) {
    EXPECT_EQ(r.ctx.ttl, r.ctx.source.isV4() ? 64 : 1) << r.ctx.source.str();
    EXPECT_EQ(r.payload, payload);
  }
}

// attach is idempotent; detach stops delivery (and leaves the group); attaching again resumes.
TEST_F(TransportNetns, DetachStopsDeliveryAndAttachResumes) {
  attachPeer(Family::kV4);
  {
    netns::InNamespace b(peer_);
    ASSERT_TRUE(rx_->attach(ifB_, Family::kV4)) << "second attach";
  }
  ASSERT_TRUE(tx_->attach(ifA_, Family::kV4));
  const IpAddress& group = multicastGroup(Family::kV4);
  Bytes advert = netns::vrrpV3Advert(kA4, group, 51, 150, {kVip4});
  ASSERT_TRUE(tx_->send(ifA_, kA4, group, advert));
  ASSERT_TRUE(waitReceived(1));
  EXPECT_EQ(got_.size(), 1u) << "one socket, one copy";

  rx_->detach(ifB_, Family::kV4);
  ASSERT_TRUE(tx_->send(ifA_, kA4, group, advert));
  EXPECT_FALSE(runUntil([&] { return got_.size() > 1; }, 300ms)) << "delivered after detach";

  attachPeer(Family::kV4);
  ASSERT_TRUE(tx_->send(ifA_, kA4, group, advert));
  EXPECT_TRUE(waitReceived(2));
}

// A burst larger than one wake-up's budget (64) is read to the end: the reader continues through
// post(), behind other handlers, and waits again only once drained.
TEST_F(TransportNetns, BurstIsDrainedCompletely) {
  attachPeer(Family::kV4);
  ASSERT_TRUE(tx_->attach(ifA_, Family::kV4));
  const IpAddress& group = multicastGroup(Family::kV4);
  constexpr size_t kBurst = 100;
  for (size_t i = 0; i < kBurst; ++i) {
    Bytes advert = netns::vrrpV3Advert(kA4, group, static_cast<uint8_t>(i + 1), 100, {kVip4});
    ASSERT_TRUE(tx_->send(ifA_, kA4, group, advert));
  }
  std::this_thread::sleep_for(100ms);  // all of it queued before the first read
  EXPECT_TRUE(waitReceived(kBurst)) << got_.size() << " of " << kBurst;
  EXPECT_EQ(rx_->counters().received, kBurst);
  for (size_t i = 0; i < got_.size(); ++i) EXPECT_EQ(got_[i].payload[1], i + 1) << "in order";
}

// Refusals name the interface, the family and the reason.
TEST_F(TransportNetns, RefusalsExplainThemselves) {
  Bytes advert{0x31, 1, 100, 0, 0, 100, 0, 0};
  auto notAttached = tx_->send(ifA_, kA4, kB4, advert);
  ASSERT_FALSE(notAttached);
  EXPECT_EQ(notAttached.error(),
            "send VRRP from 198.51.100.1 to 198.51.100.2 on vrrpa: not attached for IPv4");
  auto noDevice = tx_->attach(4242, Family::kV4);
  ASSERT_FALSE(noDevice);
  EXPECT_EQ(noDevice.error(), "attach VRRP (IPv4) on interface index 4242: No such device");
  ASSERT_TRUE(tx_->attach(ifA_, Family::kV6));
  auto notOurs =
      tx_->send(ifA_, *IpAddress::parse("fe80::dead"), multicastGroup(Family::kV6), advert);
  ASSERT_FALSE(notOurs);
  EXPECT_EQ(notOurs.error(), "send VRRP from fe80::dead to ff02::12 on vrrpa: Invalid argument");
  EXPECT_EQ(tx_->counters().sendErrors, 1u);
}

class AnnouncerNetns : public VrrpNetns {
 protected:
  // B's neighbour entry for the VIP points at a stale, wrong MAC, as after a failover.
  void seedPeerNeighbour(const IpAddress& address) {
    netns::InNamespace b(peer_);
    std::string cmd = std::string("ip neigh replace ") + address.str() +
                      " lladdr 02:00:00:00:00:99 dev " + kDevB + " nud stale";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    capture_ = netns::Capture::open(ifB_);
  }
  // B's neighbour entry for `address` now names A's MAC.
  bool peerLearned(const IpAddress& address) {
    const std::string mac = netns::macText(macA_);
    return netns::waitFor(
        [&] {
          netns::InNamespace b(peer_);
          return netns::shell("ip neigh show " + address.str() + " dev " + kDevB).find(mac) !=
                 std::string::npos;
        },
        3s);
  }

  PacketAnnouncer announcer_{io_};
  std::optional<netns::Capture> capture_;
};

// IPv4: one broadcast ARP request, sender = target = the VIP, sender MAC = the interface's; the
// peer's cache entry moves to us.
TEST_F(AnnouncerNetns, GratuitousArpOnTheWire) {
  seedPeerNeighbour(kVip4);
  auto st = announcer_.announce(ifA_, kVip4);
  ASSERT_TRUE(st) << st.error();
  auto frame = capture_->next([](const Bytes& f) {
    return f.size() >= 42 && f[12] == 0x08 && f[13] == 0x06 &&
           std::memcmp(&f[38], kVip4.bytes(), 4) == 0;
  });
  ASSERT_TRUE(frame) << "no ARP frame captured";
  const Bytes& f = *frame;
  EXPECT_EQ(Bytes(f.begin(), f.begin() + 6), Bytes(6, 0xff)) << "broadcast";
  EXPECT_EQ(Bytes(f.begin() + 6, f.begin() + 12), Bytes(macA_.begin(), macA_.end()));
  auto arp = gratuitousArp(macA_, kVip4);
  EXPECT_EQ(Bytes(f.begin() + 14, f.begin() + 42), Bytes(arp.begin(), arp.end()));
  netns::writePcap("garp.pcap", {f});
  EXPECT_TRUE(peerLearned(kVip4)) << "B's neighbour entry for the VIP did not move";
}

// IPv6: an unsolicited NA to ff02::1 from A's link-local, hop limit 255, Override set, with a
// valid checksum (the kernel's) and A's MAC in the target link-layer option.
TEST_F(AnnouncerNetns, UnsolicitedNeighbourAdvertOnTheWire) {
  seedPeerNeighbour(kVip6);
  auto st = announcer_.announce(ifA_, kVip6);
  ASSERT_TRUE(st) << st.error();
  auto frame = capture_->next([](const Bytes& f) {
    return netns::ipv6NextHeader(f) == 58 && f.size() >= 54 + 32 && f[54] == 136 &&
           std::memcmp(&f[62], kVip6.bytes(), 16) == 0;
  });
  ASSERT_TRUE(frame) << "no neighbour advert captured";
  const Bytes& f = *frame;
  const Bytes allNodesMac{0x33, 0x33, 0x00, 0x00, 0x00, 0x01};
  EXPECT_EQ(Bytes(f.begin(), f.begin() + 6), allNodesMac);
  EXPECT_EQ(f[14 + 7], 255) << "hop limit (RFC 4861 §7.1.2)";
  EXPECT_EQ(Bytes(f.begin() + 22, f.begin() + 38),
            Bytes(linkLocalA_->bytes(), linkLocalA_->bytes() + 16))
      << "source";
  const IpAddress allNodes = *IpAddress::parse("ff02::1");
  EXPECT_EQ(Bytes(f.begin() + 38, f.begin() + 54), Bytes(allNodes.bytes(), allNodes.bytes() + 16));
  EXPECT_TRUE(netns::icmpv6ChecksumValid(f)) << "checksum";
  auto na = unsolicitedNeighbourAdvert(macA_, kVip6);
  Bytes body(f.begin() + 54, f.begin() + 54 + 32);
  body[2] = body[3] = 0;  // checksum checked above
  EXPECT_EQ(body, Bytes(na.begin(), na.end()));
  netns::writePcap("na.pcap", {f});
  EXPECT_TRUE(peerLearned(kVip6)) << "B's neighbour entry for the VIP did not move";
}

// Refusals: an unknown interface, and one without an Ethernet address (lo).
TEST_F(AnnouncerNetns, RefusalsExplainThemselves) {
  auto gone = announcer_.announce(4242, kVip4);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error(),
            "gratuitous ARP for 198.51.100.100 on interface index 4242: No such device");
  auto lo = announcer_.announce(if_nametoindex("lo"), kVip6);
  ASSERT_FALSE(lo);
  EXPECT_EQ(lo.error(),
            "unsolicited neighbour advert for fd00:1::100 on lo: not an Ethernet interface "
            "(hardware type 772)");
}

class LinkMonitorNetns : public VrrpNetns {
 protected:
  void SetUp() override {
    VrrpNetns::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto opened = NetlinkLinkMonitor::open(io_);
    ASSERT_TRUE(opened) << opened.error();
    monitor_ = std::move(opened.value());
  }
  std::unique_ptr<NetlinkLinkMonitor> monitor_;
};

// link() gives index and state; an unknown name reads like the kernel's refusal.
TEST_F(LinkMonitorNetns, LinkGivesIndexAndState) {
  auto a = monitor_->link(kDevA);
  ASSERT_TRUE(a) << a.error();
  EXPECT_EQ(a->ifindex, ifA_);
  EXPECT_EQ(a->name, kDevA);
  EXPECT_TRUE(a->up);
  auto missing = monitor_->link("lan9");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), "interface lan9: No such device");
}

// A VIP must never become the VRRP source: the script added 198.51.100.100 before .1.
TEST_F(LinkMonitorNetns, PrimaryIpv4SkipsVirtualAddresses) {
  const std::vector<IpAddress> vips{kVip4};
  auto primary = monitor_->primaryAddress(ifA_, Family::kV4, vips);
  ASSERT_TRUE(primary) << primary.error();
  EXPECT_EQ(*primary, kA4);
  auto unfiltered = monitor_->primaryAddress(ifA_, Family::kV4, {});
  ASSERT_TRUE(unfiltered) << unfiltered.error();
  EXPECT_EQ(*unfiltered, kVip4) << "the kernel's order put the VIP first";
  const std::vector<IpAddress> all{kVip4, kA4};
  auto none = monitor_->primaryAddress(ifA_, Family::kV4, all);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(), "interface vrrpa has no IPv4 address other than its virtual addresses");
}

// RFC 5798 §5.1.2.1: the IPv6 source is the link-local, not a global address.
TEST_F(LinkMonitorNetns, PrimaryIpv6IsTheLinkLocal) {
  auto primary = monitor_->primaryAddress(ifA_, Family::kV6, {});
  ASSERT_TRUE(primary) << primary.error();
  EXPECT_EQ(*primary, *linkLocalA_);
  auto gone = monitor_->primaryAddress(4242, Family::kV6, {});
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error(), "interface index 4242: No such device");
}

// Listeners hear each link's current state first, then only up/down transitions: admin down/up
// on A, then carrier loss/return when the peer end goes down/up. A listener subscribed later
// gets the current state replayed.
TEST_F(LinkMonitorNetns, ReportsTransitionsOnce) {
  std::vector<bool> seen;
  monitor_->subscribe([&](const LinkState& s) {
    if (s.ifindex != ifA_) return;
    EXPECT_EQ(s.name, kDevA);
    seen.push_back(s.up);
  });
  ASSERT_TRUE(runUntil([&] { return seen.size() == 1; })) << "no initial state";
  EXPECT_TRUE(seen[0]);

  std::vector<bool> late;
  monitor_->subscribe([&](const LinkState& s) {
    if (s.ifindex == ifA_) late.push_back(s.up);
  });
  ASSERT_TRUE(runUntil([&] { return late.size() == 1; })) << "no replay for a late listener";
  EXPECT_TRUE(late[0]);

  auto step = [&](bool inPeer, const std::string& cmd, bool expectUp) {
    {
      std::optional<netns::InNamespace> b;
      if (inPeer) b.emplace(peer_);
      ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    }
    const size_t before = seen.size();
    ASSERT_TRUE(runUntil([&] { return seen.size() > before; })) << "no event after " << cmd;
    EXPECT_EQ(seen.back(), expectUp) << cmd;
  };
  step(false, "ip link set vrrpa down", false);
  step(false, "ip link set vrrpa up", true);
  step(true, "ip link set vrrpb down", false);  // carrier lost: IFF_RUNNING clears
  step(true, "ip link set vrrpb up", true);
  runUntil([] { return false; }, 300ms);  // let stragglers arrive: none may be a repeat
  EXPECT_EQ(seen, (std::vector<bool>{true, false, true, false, true}));
  EXPECT_EQ(late.size(), seen.size());
}

}  // namespace
}  // namespace ha::vrrp
